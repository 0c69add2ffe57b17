import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Test } from 'tap'
import type { Store } from '../../control-plane/store/store.ts'
import { openPostgresStore } from '../../control-plane/store/postgres/open-postgres-store.ts'
import { ensureTestPostgres } from '../setup/postgres-server.ts'

export interface PostgresTestDatabase {
  /** postgres://… of this test file's own database. */
  url: string
  /** A fresh, empty store (its own schema in the file's database), closed at the file's end. */
  openStore: () => Promise<Store>
  /** A schema name not used yet in this database (for stores a test opens itself). */
  freshSchema: () => string
}

/**
 * A fresh database per test file on the run's shared cluster, dropped at the end. Each
 * openStore() gets its own schema in it, so a suite's subtests never see each other's rows.
 */
export async function postgresTestDatabase (t: Test): Promise<PostgresTestDatabase> {
  const server = await ensureTestPostgres()
  const name = `gpufleet_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: `${server.url}/postgres` })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = `${server.url}/${name}`
  const stores: Store[] = []
  let n = 0
  const freshSchema = () => `s${n++}`
  t.teardown(async () => {
    for (const s of stores) await s.close().catch(() => {})
    const c = new pg.Client({ connectionString: `${server.url}/postgres` })
    await c.connect()
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.end()
  })
  return {
    url,
    freshSchema,
    async openStore () {
      const store = await openPostgresStore(url, { schema: freshSchema() })
      stores.push(store)
      return store
    },
  }
}
