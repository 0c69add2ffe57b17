import type { SqlDialect } from './sql-dialect.ts'

export type Row = Record<string, unknown>

/**
 * One query surface for both engines: the connection outside a transaction, the transaction
 * inside one. SQL uses `?` placeholders and the portable subset both engines speak (SQLite ≥
 * 3.35 and PostgreSQL ≥ 13: RETURNING, ON CONFLICT, FILTER, CAST); what differs is asked of
 * `dialect`. Arguments: numbers, strings, null, booleans and arrays (a list parameter, see
 * SqlDialect.inList); each engine binds them its own way.
 */
export interface SqlQuery {
  all: <R = Row>(sql: string, ...args: unknown[]) => Promise<R[]>
  one: <R = Row>(sql: string, ...args: unknown[]) => Promise<R | undefined>
  /** Rows changed. */
  run: (sql: string, ...args: unknown[]) => Promise<number>
  /**
   * One statement for each argument list, in order; rows changed by each. SQLite runs the
   * whole batch in one synchronous loop over one prepared statement (a bulk insert is not an
   * await per row); PostgreSQL sends them one after another on the connection.
   */
  runEach: (sql: string, argLists: readonly unknown[][]) => Promise<number[]>
  /** Several statements, no parameters (migrations). */
  exec: (sql: string) => Promise<void>
}

export interface SqlDb extends SqlQuery {
  readonly dialect: SqlDialect
  /**
   * Runs `fn` in one transaction, rolled back if it throws. `lock` names the domain whose
   * writers must not interleave (null: row locks only): PostgreSQL takes that transaction-scoped
   * advisory lock, so every replica on the database is serialized; SQLite's one writer
   * (BEGIN IMMEDIATE) already serializes everything. Inside `fn`, use only `q`.
   */
  tx: <T>(lock: string | null, fn: (q: SqlQuery) => Promise<T>) => Promise<T>
}
