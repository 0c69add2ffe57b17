import { randomBytes } from 'node:crypto'
import pg from 'pg'

export interface ThrowawayDb {
  url: string
  /** The cluster, for the bench's report. */
  describe: string
  /** Drops the database (its connections forced off). */
  cleanup: () => Promise<void>
}

/** A database of its own on the test PostgreSQL cluster (started when not running), named `gpufleet_<prefix>_<random>`. */
export async function throwawayPostgresDb (prefix: string): Promise<ThrowawayDb> {
  const { ensureTestPostgres } = await import('../test/setup/postgres-server.ts')
  const server = await ensureTestPostgres()
  const name = `gpufleet_${prefix}_${randomBytes(4).toString('hex')}`
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: `${server.url}/postgres` })
    await c.connect()
    try { await c.query(sql) } finally { await c.end() }
  }
  await admin(`CREATE DATABASE ${name}`)
  return {
    url: `${server.url}/${name}`,
    describe: `PostgreSQL (throwaway cluster on 127.0.0.1:${server.port}, fsync off)`,
    cleanup: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  }
}
