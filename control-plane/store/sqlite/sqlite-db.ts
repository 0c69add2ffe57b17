import { DatabaseSync, type StatementSync } from 'node:sqlite'

/**
 * One SQLite file in WAL mode with a statement cache. node:sqlite is synchronous; the
 * repositories built on it still expose async methods so the PostgreSQL store can serve
 * the same interface.
 */
export interface SqliteDb {
  readonly raw: DatabaseSync
  /** Prepared once per SQL text, reused after. */
  stmt: (sql: string) => StatementSync
  /** Run `fn` in one IMMEDIATE transaction (rolled back if it throws). Not re-entrant. */
  tx: <T>(fn: () => T) => T
  close: () => void
}

export function openSqliteDb (path: string): SqliteDb {
  const raw = new DatabaseSync(path)
  // busy_timeout first: switching to WAL needs a lock that another connection (a second
  // replica process, a test's previous handle) may briefly hold.
  raw.exec(`
    PRAGMA busy_timeout = 5000;
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA foreign_keys = ON;
    PRAGMA temp_store = MEMORY;
  `)
  const cache = new Map<string, StatementSync>()
  let inTx = false
  return {
    raw,
    stmt (sql) {
      let s = cache.get(sql)
      if (s === undefined) {
        s = raw.prepare(sql)
        cache.set(sql, s)
      }
      return s
    },
    tx (fn) {
      if (inTx) return fn()
      raw.exec('BEGIN IMMEDIATE')
      inTx = true
      try {
        const result = fn()
        raw.exec('COMMIT')
        return result
      } catch (err) {
        raw.exec('ROLLBACK')
        throw err
      } finally {
        inTx = false
      }
    },
    close () {
      cache.clear()
      if (raw.isOpen) raw.close()
    },
  }
}
