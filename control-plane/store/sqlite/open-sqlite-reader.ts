import { Worker } from 'node:worker_threads'
import type { SQLInputValue } from 'node:sqlite'
import { closeWorkerThread } from './close-worker-thread.ts'
import { siblingModule } from '../../../shared/sibling-module.ts'
import type { ReaderReply, ReaderRequest } from './sqlite-reader-worker.ts'

/** A row of numbers (NULL as null), keyed by column name. */
export type NumericRow = Record<string, number | null>

export interface SqliteReader {
  /**
   * Runs a SELECT whose columns are numbers or NULL on the reader thread and resolves with its
   * rows; rejects with SQLite's error, for a column of another type, or when the thread died
   * (a new one starts at the next call).
   */
  numericRows: <R = NumericRow>(sql: string, args: readonly SQLInputValue[]) => Promise<R[]>
  /** Any SELECT's rows as objects, sent back in parts (ROWS_PER_MESSAGE), each a turn of the event loop. */
  rows: <R = Record<string, unknown>>(sql: string, args: readonly SQLInputValue[]) => Promise<R[]>
  /** Answers what was asked, then ends the thread (its connection closes first). */
  close: () => Promise<void>
  /** Threads started so far. */
  starts: () => number
}

/**
 * A read-only connection to `path` on a worker thread, for the reads whose cost grows with the
 * fleet: node:sqlite runs a statement synchronously, so on the event loop's connection a
 * fleet-wide aggregate stops every request until it returns (the per-GPU history's minute read
 * at 1,000 hosts: ~1.3 s a minute). Started at the first read, unref'd while it owes nothing.
 */
export function openSqliteReader (path: string): SqliteReader {
  const pending = new Map<number, { resolve: (rows: unknown[]) => void, reject: (err: Error) => void, parts: unknown[][] }>()
  let worker: Worker | null = null
  let starts = 0
  let nextId = 1
  let closed = false

  function start (): Worker {
    starts++
    const w = new Worker(siblingModule(import.meta.url, 'sqlite-reader-worker'), { workerData: { path } })
    w.unref()
    w.on('message', (reply: ReaderReply) => {
      const p = pending.get(reply.id)
      if (p === undefined) return
      if (reply.ok && 'rows' in reply && reply.more) {
        p.parts.push(reply.rows)
        return
      }
      pending.delete(reply.id)
      if (pending.size === 0) w.unref()
      if (!reply.ok) p.reject(new Error(`sqlite reader: ${reply.message}`))
      else if ('rows' in reply) p.resolve(p.parts.length === 0 ? reply.rows : [...p.parts, reply.rows].flat())
      else p.resolve(unpack(reply.columns, reply.values))
    })
    let failure: Error | null = null
    w.on('error', err => { failure = err })
    w.on('exit', code => {
      if (worker === w) worker = null
      const err = new Error(`sqlite reader thread exited (code ${code})${failure === null ? '' : `: ${failure.message}`}`)
      for (const p of pending.values()) p.reject(err)
      pending.clear()
    })
    return w
  }

  function call<R> (kind: 'numeric' | 'rows', sql: string, args: readonly SQLInputValue[]): Promise<R[]> {
    if (closed) return Promise.reject(new Error('sqlite reader closed'))
    const w = worker ??= start()
    const id = nextId++
    return new Promise<R[]>((resolve, reject) => {
      if (pending.size === 0) w.ref()
      pending.set(id, { resolve: resolve as (rows: unknown[]) => void, reject, parts: [] })
      w.postMessage({ kind, id, sql, args: [...args] } satisfies ReaderRequest)
    })
  }

  return {
    numericRows: <R>(sql: string, args: readonly SQLInputValue[]) => call<R>('numeric', sql, args),
    rows: <R>(sql: string, args: readonly SQLInputValue[]) => call<R>('rows', sql, args),
    starts: () => starts,
    async close () {
      if (closed) return
      closed = true
      if (worker !== null) await closeWorkerThread(worker, { kind: 'close' } satisfies ReaderRequest)
    },
  }
}

function unpack (columns: readonly string[], values: Float64Array): NumericRow[] {
  const width = columns.length
  const rows: NumericRow[] = []
  for (let at = 0; at < values.length; at += width) {
    const row: NumericRow = {}
    for (let c = 0; c < width; c++) {
      const v = values[at + c]!
      row[columns[c]!] = Number.isNaN(v) ? null : v
    }
    rows.push(row)
  }
  return rows
}
