import { siblingModule } from '../../../shared/sibling-module.ts'
import { bind } from './sqlite-sql-db.ts'
import { workerThreadCalls } from './worker-thread-calls.ts'
import type { NumericAnswer, ReaderRequest } from './sqlite-reader-worker.ts'

/** A row of numbers (NULL as null), keyed by column name. */
export type NumericRow = Record<string, number | null>

export interface SqliteReader {
  /**
   * Runs a SELECT whose columns are numbers or NULL on the reader thread and resolves with its
   * rows; rejects with SQLite's error, for a column of another type, or when the thread died
   * (a new one starts at the next call). Arguments bind as on the main connection (sqlite-sql-db.ts).
   */
  numericRows: <R = NumericRow>(sql: string, args: readonly unknown[]) => Promise<R[]>
  /** Any SELECT's rows as objects, sent back in parts (ROWS_PER_MESSAGE), each a turn of the event loop. */
  rows: <R = Record<string, unknown>>(sql: string, args: readonly unknown[]) => Promise<R[]>
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
  const thread = workerThreadCalls({
    url: siblingModule(import.meta.url, 'sqlite-reader-worker'),
    workerData: { path },
    label: 'sqlite reader',
    toError: f => new Error(`sqlite reader: ${f.message}`),
  })
  const request = (kind: 'numeric' | 'rows', sql: string, args: readonly unknown[]): Omit<Extract<ReaderRequest, { sql: string }>, 'id'> =>
    ({ kind, sql, args: bind(args) })
  return {
    numericRows: async <R>(sql: string, args: readonly unknown[]) => unpack(await thread.call<NumericAnswer>(request('numeric', sql, args))) as R[],
    rows: async <R>(sql: string, args: readonly unknown[]) => (await thread.callParts<R[]>(request('rows', sql, args))).flat() as R[],
    starts: thread.starts,
    close: thread.close,
  }
}

function unpack ({ columns, values }: NumericAnswer): NumericRow[] {
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
