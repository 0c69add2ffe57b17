/**
 * Worker-thread entry for openTelemetryWriter: its own connection to the database file and
 * the one writer of the telemetry tables (sqlite-telemetry-writes.ts). Requests run one at a
 * time in arrival order, each its own transaction, answered after its COMMIT returned.
 */
import { parentPort, workerData, type TransferListItem } from 'node:worker_threads'
import type { CompactRequest, PruneRequest } from '../telemetry-repository.ts'
import { decodeCommit, encodeResults, type CommitWire } from './telemetry-writer-wire.ts'
import { openSqliteDb } from './sqlite-db.ts'
import { createSqliteTelemetryWrites } from './sqlite-telemetry-writes.ts'
import { writerGate } from './sqlite-write-gate.ts'

/**
 * `exitMidCommit` (tests): the thread exits inside the transaction, after its statements and
 * before COMMIT, as a crash there would. `close`: after the requests before it, close the
 * connection and end the thread.
 */
export type WriterRequest =
  | { kind: 'insert', id: number, commit: CommitWire, exitMidCommit?: boolean }
  | { kind: 'prune', id: number, request: PruneRequest }
  | { kind: 'compact', id: number, request: CompactRequest }
  | { kind: 'rebuildRollups', id: number, fromMs: number, toMs: number }
  | { kind: 'close' }
export type WriterReply =
  | { id: number, ok: true, value: unknown }
  | { id: number, ok: false, name: string, message: string, code?: unknown, errcode?: unknown }

export interface WriterData {
  path: string
  /** PRAGMA wal_autocheckpoint for this connection; null: SQLite's default. */
  autocheckpointPages: number | null
  /** The write gate shared with the event loop's connection (sqlite-write-gate.ts); null: none. */
  gate: SharedArrayBuffer | null
}

const { path, autocheckpointPages, gate } = workerData as WriterData
const db = openSqliteDb(path)
if (autocheckpointPages !== null) db.raw.exec(`PRAGMA wal_autocheckpoint = ${autocheckpointPages}`)
const writes = createSqliteTelemetryWrites(db)
const gated: <T>(fn: () => T) => T = gate === null ? fn => fn() : writerGate(gate)

function run (request: Exclude<WriterRequest, { kind: 'close' }>): unknown {
  switch (request.kind) {
    case 'insert': {
      const batches = decodeCommit(request.commit)
      if (request.exitMidCommit !== true) return encodeResults(batches, writes.insertSamples(batches))
      return db.tx(() => {
        writes.insertSamples(batches)
        process.exit(70)
      })
    }
    case 'prune': return writes.prune(request.request)
    case 'compact': return writes.compact(request.request)
    case 'rebuildRollups': return writes.rebuildRollups(request.fromMs, request.toMs)
  }
}

parentPort!.on('message', (request: WriterRequest) => {
  if (request.kind === 'close') {
    db.close()
    parentPort!.close()
    return
  }
  let reply: WriterReply
  let transfer: TransferListItem[] = []
  try {
    const value = gated(() => run(request))
    if (value instanceof Float64Array) transfer = [value.buffer as ArrayBuffer]
    reply = { id: request.id, ok: true, value }
  } catch (err) {
    const e = err as Error & { code?: unknown, errcode?: unknown }
    reply = { id: request.id, ok: false, name: e.name, message: e.message, code: e.code, errcode: e.errcode }
  }
  parentPort!.postMessage(reply, transfer)
})
