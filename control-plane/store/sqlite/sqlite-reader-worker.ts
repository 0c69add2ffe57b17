/**
 * Worker-thread entry for openSqliteReader: a read-only connection to the database file that
 * runs one SELECT at a time, beside the event loop (WAL: it reads a snapshot and never blocks
 * the writers), and answers with its rows packed as numbers (`numeric`: one transferred
 * Float64Array, NaN for NULL, no clone per row) or as objects in parts of ROWS_PER_MESSAGE.
 */
import { workerData } from 'node:worker_threads'
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import { serveCalls } from './serve-calls.ts'

export type ReaderRequest =
  | { kind: 'numeric' | 'rows', id: number, sql: string, args: SQLInputValue[] }
  | { kind: 'close' }
/** A `numeric` answer: the rows' values, row after row in `columns` order. */
export interface NumericAnswer { columns: string[], values: Float64Array<ArrayBuffer> }

/**
 * Rows of any type go back as plain objects, this many to a message: each message is
 * deserialized on the event loop in a turn of its own, so 40,000 rows (a 5,000-host fleet's
 * GPUs) never hold it at once.
 */
export const ROWS_PER_MESSAGE = 2000

const { path } = workerData as { path: string }
const db = new DatabaseSync(path, { readOnly: true })
db.exec('PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY;')
const cache = new Map<string, StatementSync>()

function prepared (sql: string): StatementSync {
  let stmt = cache.get(sql)
  if (stmt === undefined) cache.set(sql, stmt = db.prepare(sql))
  return stmt
}

function numericRows (sql: string, args: SQLInputValue[]): NumericAnswer {
  const stmt = prepared(sql)
  const columns = stmt.columns().map(c => c.name)
  const rows = stmt.all(...args)
  const values = new Float64Array(rows.length * columns.length)
  let i = 0
  for (const row of rows) {
    for (const name of columns) {
      const v = row[name]
      if (v === null) values[i++] = NaN
      else if (typeof v === 'number') values[i++] = v
      else throw new TypeError(`column ${name} holds a ${typeof v}, not a number or NULL`)
    }
  }
  return { columns, values }
}

serveCalls<ReaderRequest>(() => db.close(), (request, part) => {
  if (request.kind === 'numeric') {
    const answer = numericRows(request.sql, request.args)
    return { value: answer, transfer: [answer.values.buffer] }
  }
  const rows = prepared(request.sql).all(...request.args)
  for (let at = 0; at < rows.length; at += ROWS_PER_MESSAGE) part(rows.slice(at, at + ROWS_PER_MESSAGE))
  return { value: null }
})
