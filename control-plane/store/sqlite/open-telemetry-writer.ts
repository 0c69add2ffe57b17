import type { TransferListItem } from 'node:worker_threads'
import { workerThreadCalls } from './worker-thread-calls.ts'
import { siblingModule } from '../../../shared/sibling-module.ts'
import type { TelemetryWrites } from '../sql/sql-telemetry-repository.ts'
import { decodeResults, encodeCommit } from './telemetry-writer-wire.ts'
import type { WriteGate } from './sqlite-write-gate.ts'
import type { WriterData, WriterRequest } from './sqlite-telemetry-writer-worker.ts'

export interface TelemetryWriterOptions {
  /** PRAGMA wal_autocheckpoint for the writer's connection; null: SQLite's default. */
  autocheckpointPages?: number | null
  log?: { warn: (obj: object, msg: string) => void }
  /** Shared with the event loop's connection to `path` (openSqliteDb's gate option). */
  gate?: WriteGate
}

export interface TelemetryWriter extends TelemetryWrites {
  /** Answers what was asked before, then ends the thread (its connection closes first). */
  close: () => Promise<void>
  /** Tests: the next insert's thread exits inside its transaction, before COMMIT. */
  exitInNextCommit: () => void
  /** Threads started so far (a crashed one is replaced at the next request). */
  starts: () => number
}

type Request = WriterRequest extends infer R ? R extends { id: number } ? Omit<R, 'id'> : never : never

/**
 * SQLite's telemetry writes on a worker thread with its own connection to `path`, so the
 * group commit's statements, the rollups and retention run beside the event loop instead of
 * on it. Each call resolves after the thread's COMMIT returned (stored = acknowledged) and
 * rejects if it failed or the thread died (nothing of it stored: SQLite rolls back an open
 * transaction when its connection goes); a dead thread is replaced at the next call. A commit
 * crosses as one transferred block each way (telemetry-writer-wire.ts).
 */
export function openTelemetryWriter (path: string, options: TelemetryWriterOptions = {}): TelemetryWriter {
  const { autocheckpointPages = null, log, gate } = options
  let exitMidCommit = false
  const thread = workerThreadCalls({
    url: siblingModule(import.meta.url, 'sqlite-telemetry-writer-worker'),
    workerData: { path, autocheckpointPages, gate: gate?.buffer ?? null } satisfies WriterData,
    label: 'sqlite telemetry writer',
    onError: err => log?.warn({ err: { message: err.message } }, 'sqlite telemetry writer thread failed'),
    onExit: () => gate?.writerGone(),
  })
  const call = <T>(request: Request, transfer: TransferListItem[] = []): Promise<T> => thread.call<T>(request, transfer)

  return {
    async insertSamples (batches) {
      // A block of its own, transferred: the batches stay here (a failed commit is retried with them).
      const commit = encodeCommit(batches)
      const request: Request = { kind: 'insert', commit, ...(exitMidCommit ? { exitMidCommit: true } : {}) }
      exitMidCommit = false
      return decodeResults(batches, await call<Float64Array>(request, [commit.numbers.buffer]))
    },
    async rebuildRollups (fromMs, toMs) { await call({ kind: 'rebuildRollups', fromMs, toMs }) },
    prune: request => call({ kind: 'prune', request }),
    compact: request => call({ kind: 'compact', request }),
    exitInNextCommit () { exitMidCommit = true },
    starts: thread.starts,
    close: thread.close,
  }
}
