import { resolve } from 'node:path'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import type { WriteGate } from './sqlite-write-gate.ts'

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
  /**
   * One IMMEDIATE transaction around an async `fn` (SqlDb.tx). The connection is held until it
   * settles: its awaits let other handlers run, and their statements would otherwise land in
   * this transaction (and roll back with it).
   */
  txAsync: <T>(fn: () => Promise<T>) => Promise<T>
  /**
   * Runs `fn` at once when no txAsync holds the connection, else right after the holders.
   * 'read': `fn` only reads, so it skips the write gate (a WAL reader needs no lock).
   */
  serial: <T>(fn: () => T | Promise<T>, mode?: 'read') => Promise<T>
  close: () => void
}

/** txAsync holders, and the chain that runs them (and what waits on them) one after another. */
interface Lane { holders: number, tail: Promise<unknown>, handles: number }

// Handles on one file in this process share a lane: a second handle's BEGIN IMMEDIATE while the
// first holds an async transaction would block the one thread the first needs to finish (for
// busy_timeout, then 'database is locked'). Replicas in other processes wait inside SQLite.
const lanes = new Map<string, Lane>()

function joinLane (path: string): { lane: Lane, leave: () => void } {
  if (path === ':memory:') return { lane: { holders: 0, tail: Promise.resolve(), handles: 1 }, leave: () => {} }
  const key = resolve(path)
  let lane = lanes.get(key)
  if (lane === undefined) lanes.set(key, lane = { holders: 0, tail: Promise.resolve(), handles: 0 })
  lane.handles++
  const joined = lane
  return { lane, leave: () => { if (--joined.handles === 0) lanes.delete(key) } }
}

export interface SqliteDbOptions {
  /**
   * Shared with the telemetry writer thread (sqlite-write-gate.ts): serial() and txAsync take
   * it first, so they await the writer's commit instead of sleeping in SQLite's busy handler.
   */
  gate?: WriteGate
}

export function openSqliteDb (path: string, options: SqliteDbOptions = {}): SqliteDb {
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
  const { lane, leave } = joinLane(path)
  const queue = <T>(fn: () => T | Promise<T>): Promise<T> => {
    const run = lane.tail.then(fn)
    lane.tail = run.catch(() => {})
    return run
  }
  const { gate } = options
  const begin = (): void => { raw.exec('BEGIN IMMEDIATE'); inTx = true }
  const end = (sql: 'COMMIT' | 'ROLLBACK'): void => {
    try { raw.exec(sql) } finally { inTx = false }
  }
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
      // A sync transaction inside an open txAsync would commit or roll back with it: callers
      // outside SqlDb go through serial() (see the SQLite hot paths).
      if (lane.holders > 0 && inTx) throw new Error('SqliteDb.tx while an async transaction holds the connection: wrap the call in serial()')
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
    txAsync (fn) {
      lane.holders++
      const body = async (): Promise<Awaited<ReturnType<typeof fn>>> => {
        try {
          begin()
          try {
            const result = await fn()
            end('COMMIT')
            return result
          } catch (err) {
            end('ROLLBACK')
            throw err
          }
        } finally {
          lane.holders--
        }
      }
      return queue(gate === undefined ? body : () => gate.run(body))
    },
    serial (fn, mode) {
      if (gate !== undefined && mode !== 'read') return lane.holders > 0 ? queue(() => gate.run(fn)) : gate.run(fn)
      if (lane.holders > 0) return queue(fn)
      try {
        return Promise.resolve(fn())
      } catch (err) {
        return Promise.reject(err)
      }
    },
    close () {
      cache.clear()
      if (!raw.isOpen) return
      raw.close()
      leave()
    },
  }
}
