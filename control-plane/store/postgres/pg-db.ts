import pg from 'pg'
import type { SqlDb, SqlQuery } from '../sql-db.ts'
import { pgDialect } from './pg-dialect.ts'

/** PostgreSQL's SqlDb: `?` placeholders are numbered `$n` once per SQL text. */
export type PgQuery = SqlQuery

export interface PgDb extends SqlDb {
  readonly pool: pg.Pool
  close: () => Promise<void>
}

// int8 (COUNT, bigint epoch ms) and numeric (SUM of bigints) come back as numbers: epoch ms and
// counts stay far below 2^53. pg's default is strings.
const INT8 = 20
const NUMERIC = 1700
const types = {
  getTypeParser (oid: number, format?: string) {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v)
    return pg.types.getTypeParser(oid, format as 'text')
  },
}

const numbered = new Map<string, string>()
/** `?` → `$1, $2, …` (the store's SQL never uses `?` as an operator or inside a literal). */
export function numberPlaceholders (sql: string): string {
  let out = numbered.get(sql)
  if (out === undefined) {
    let n = 0
    out = sql.replace(/\?/g, () => `$${++n}`)
    numbered.set(sql, out)
  }
  return out
}

function queryOn (c: pg.Pool | pg.PoolClient): PgQuery {
  const q = async (sql: string, args: unknown[]) => c.query({ text: numberPlaceholders(sql), values: args })
  return {
    async all (sql, ...args) { return (await q(sql, args)).rows },
    async one (sql, ...args) { return (await q(sql, args)).rows[0] },
    async run (sql, ...args) { return (await q(sql, args)).rowCount ?? 0 },
    async runEach (sql, argLists) {
      const changed: number[] = []
      for (const args of argLists) changed.push((await q(sql, args)).rowCount ?? 0)
      return changed
    },
    async exec (sql) { await c.query(sql) },
  }
}

export interface PgDbOptions {
  connectionString: string
  /** search_path for every connection (tests give each store its own schema). */
  schema?: string | undefined
  max?: number | undefined
}

export function openPgDb (options: PgDbOptions): PgDb {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    types,
    // Tests and short CLI runs end without an explicit close of every pool.
    allowExitOnIdle: true,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  })
  // An idle client losing its server (PostgreSQL restarted) must not crash the process: the
  // pool drops it and the next query opens a new one.
  pool.on('error', () => {})
  const base = queryOn(pool)
  return {
    pool,
    dialect: pgDialect,
    ...base,
    async tx (lock, fn) {
      const client = await pool.connect()
      // A checked-out client has no listener of the pool's: without this, its socket dying
      // mid-transaction (PostgreSQL restarting) is an unhandled 'error' event that kills the
      // process. The query in flight rejects anyway; the broken client is then discarded.
      let broken: Error | undefined
      const onError = (err: Error) => { broken = err }
      client.on('error', onError)
      try {
        await client.query('BEGIN')
        if (lock !== null) await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock])
        const result = await fn(queryOn(client))
        await client.query('COMMIT')
        return result
      } catch (err) {
        if (broken === undefined) await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.removeListener('error', onError)
        client.release(broken)
      }
    },
    async close () { await pool.end() },
  }
}
