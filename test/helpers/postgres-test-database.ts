import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Test } from 'tap'
import type { Store } from '../../control-plane/store/store.ts'
import { openPostgresStore } from '../../control-plane/store/postgres/open-postgres-store.ts'
import { numberPlaceholders } from '../../control-plane/store/postgres/pg-db.ts'
import { ensureTestPostgres } from '../setup/postgres-server.ts'
import { syncSql } from './sync-sql.ts'

export interface PostgresTestDatabase {
  /** postgres://… of this test file's own database. */
  url: string
  /** A fresh, empty store (its own schema in the file's database), closed at the file's end. */
  openStore: () => Promise<Store>
  /** A schema name not used yet in this database (for stores a test opens itself). */
  freshSchema: () => string
  /** A fresh store plus raw SQL (`?` placeholders) on its schema, for fixtures that write other domains' rows. */
  openStoreWithSql: () => Promise<{ store: Store, sql: RawSql }>
  /** A fresh store plus synchronous raw SQL on its schema (fixtures with a synchronous interface). */
  openStoreWithSyncSql: () => Promise<{ store: Store, query: (sql: string, ...args: unknown[]) => Array<Record<string, unknown>> }>
  /** Two stores on one fresh schema (replicas sharing a database), opened in turn, closed when `t` ends. */
  openTwoReplicas: (t: Test) => Promise<[Store, Store]>
}

export type RawSql = (sql: string, ...args: unknown[]) => Promise<Array<Record<string, unknown>>>

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
  const stores: Array<{ close: () => Promise<void> }> = []
  let n = 0
  const freshSchema = () => `s${n++}`
  t.teardown(async () => {
    for (const s of stores) await s.close().catch(() => {})
    const c = new pg.Client({ connectionString: `${server.url}/postgres` })
    await c.connect()
    // A pool's end() resolves before its sockets are closed: wait for the server to see them go,
    // so FORCE does not kill a connection whose client has no error listener any more.
    for (let i = 0; i < 100; i++) {
      const { rows } = await c.query('SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name])
      if (rows[0].n === 0) break
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.end()
  })
  return {
    url,
    freshSchema,
    async openTwoReplicas (t) {
      const schema = freshSchema()
      const a = await openPostgresStore(url, { schema })
      const b = await openPostgresStore(url, { schema })
      t.teardown(async () => { await b.close(); await a.close() })
      return [a, b]
    },
    async openStore () {
      const store = await openPostgresStore(url, { schema: freshSchema() })
      stores.push(store)
      return store
    },
    async openStoreWithSql () {
      const schema = freshSchema()
      const store = await openPostgresStore(url, { schema })
      const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 2 })
      stores.push(store, { close: () => pool.end() })
      const sql: RawSql = async (text, ...args) => (await pool.query(numberPlaceholders(text), args)).rows
      return { store, sql }
    },
    async openStoreWithSyncSql () {
      const schema = freshSchema()
      const store = await openPostgresStore(url, { schema })
      const sync = syncSql(url, schema)
      stores.push(store, sync)
      return { store, query: sync.query }
    },
  }
}
