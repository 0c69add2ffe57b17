/**
 * Worker-thread entry for openSqliteReader: a read-only connection to the database file that
 * runs one SELECT at a time and answers with its rows packed as numbers (one transferred
 * Float64Array, NaN for NULL), so a long aggregate read runs beside the event loop (WAL: it
 * reads a snapshot and never blocks the writers) and crosses back without a clone per row.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'

export type ReaderRequest = { kind: 'rows', id: number, sql: string, args: SQLInputValue[] } | { kind: 'close' }
export type ReaderReply =
  | { id: number, ok: true, columns: string[], values: Float64Array }
  | { id: number, ok: false, message: string }

const { path } = workerData as { path: string }
const db = new DatabaseSync(path, { readOnly: true })
db.exec('PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY;')
const cache = new Map<string, StatementSync>()

function numericRows (sql: string, args: SQLInputValue[]): { columns: string[], values: Float64Array } {
  let stmt = cache.get(sql)
  if (stmt === undefined) cache.set(sql, stmt = db.prepare(sql))
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

parentPort!.on('message', (request: ReaderRequest) => {
  if (request.kind === 'close') {
    db.close()
    parentPort!.close()
    return
  }
  const { id } = request
  try {
    const { columns, values } = numericRows(request.sql, request.args)
    parentPort!.postMessage({ id, ok: true, columns, values } satisfies ReaderReply, [values.buffer as ArrayBuffer])
  } catch (err) {
    parentPort!.postMessage({ id, ok: false, message: (err as Error).message } satisfies ReaderReply)
  }
})
