/**
 * Worker-thread entry for openTelemetryWriter: its own connection to the database file and
 * the one writer of the telemetry tables (sqlite-telemetry-writes.ts). Requests run one at a
 * time in arrival order, each its own transaction, answered after its COMMIT returned.
 */
import { workerData } from 'node:worker_threads'
import type { CompactRequest, PruneRequest } from '../telemetry-repository.ts'
import { decodeCommit, encodeResults, type CommitWire } from './telemetry-writer-wire.ts'
import { openSqliteDb } from './sqlite-db.ts'
import { createSqliteTelemetryWrites } from './sqlite-telemetry-writes.ts'
import { writerGate } from './sqlite-write-gate.ts'
import { serveCalls, type Answer } from './serve-calls.ts'

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

serveCalls<WriterRequest>(() => db.close(), request => gated((): Answer => {
  switch (request.kind) {
    case 'insert': {
      const batches = decodeCommit(request.commit)
      if (request.exitMidCommit !== true) {
        const results = encodeResults(batches, writes.insertSamples(batches))
        return { value: results, transfer: [results.buffer] }
      }
      return db.tx(() => {
        writes.insertSamples(batches)
        process.exit(70)
      })
    }
    case 'prune': return { value: writes.prune(request.request) }
    case 'compact': return { value: writes.compact(request.request) }
    case 'rebuildRollups': return { value: writes.rebuildRollups(request.fromMs, request.toMs) }
  }
}))
