import type { SQLInputValue } from 'node:sqlite'
import type { Row, SqlDb, SqlQuery } from '../sql-db.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { sqliteDialect } from './sqlite-dialect.ts'

// What PostgreSQL binds natively, SQLite gets as its own values: a boolean as 0/1, a list as
// JSON (read back with json_each, see SqlDialect.inList), undefined as NULL.
export function bind (args: readonly unknown[]): SQLInputValue[] {
  return args.map(a => {
    if (a === undefined) return null
    if (typeof a === 'boolean') return a ? 1 : 0
    if (Array.isArray(a)) return JSON.stringify(a)
    return a as SQLInputValue
  })
}

function queryOn (db: SqliteDb): SqlQuery {
  return {
    async all<R> (sql: string, ...args: unknown[]) { return db.stmt(sql).all(...bind(args)) as R[] },
    async one<R> (sql: string, ...args: unknown[]) { return db.stmt(sql).get(...bind(args)) as R | undefined },
    async run (sql, ...args) { return Number(db.stmt(sql).run(...bind(args)).changes) },
    async runEach (sql, argLists) {
      const stmt = db.stmt(sql)
      return argLists.map(args => Number(stmt.run(...bind(args)).changes))
    },
    async exec (sql) { db.raw.exec(sql) },
  }
}

// A plain SELECT never waits for the telemetry writer's gate (WAL readers take no lock); WITH
// and RETURNING statements may write, so they go through it.
const readOnly = (sql: string): 'read' | undefined => /^\s*SELECT\b/i.test(sql) ? 'read' : undefined

/**
 * The async query surface (SqlDb) on one node:sqlite connection. Statements outside a
 * transaction wait while an async transaction holds the connection (SqliteDb.serial);
 * inside one they run directly on it.
 */
export function sqliteSqlDb (db: SqliteDb): SqlDb {
  const direct = queryOn(db)
  return {
    dialect: sqliteDialect,
    all: (sql, ...args) => db.serial(() => direct.all(sql, ...args), readOnly(sql)),
    one: (sql, ...args) => db.serial(() => direct.one(sql, ...args), readOnly(sql)),
    run: (sql, ...args) => db.serial(() => direct.run(sql, ...args)),
    runEach: (sql, argLists) => db.serial(() => direct.runEach(sql, argLists)),
    exec: sql => db.serial(() => direct.exec(sql)),
    tx: (_lock, fn) => db.txAsync(() => fn(direct)),
  }
}
