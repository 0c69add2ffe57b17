import { Worker, type TransferListItem } from 'node:worker_threads'
import { closeWorkerThread } from './close-worker-thread.ts'
import { siblingModule } from '../../../shared/sibling-module.ts'
import type { TelemetryWrites } from '../sql/sql-telemetry-repository.ts'
import { decodeResults, encodeCommit } from './telemetry-writer-wire.ts'
import type { WriteGate } from './sqlite-write-gate.ts'
import type { WriterData, WriterReply, WriterRequest } from './sqlite-telemetry-writer-worker.ts'

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

const ERRORS: Record<string, ErrorConstructor> = { Error, TypeError, RangeError }

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
  const pending = new Map<number, { resolve: (value: unknown) => void, reject: (err: Error) => void }>()
  let worker: Worker | null = null
  let starts = 0
  let nextId = 1
  let closed = false
  let exitMidCommit = false

  function start (): Worker {
    starts++
    const url = siblingModule(import.meta.url, 'sqlite-telemetry-writer-worker')
    const w = new Worker(url, { workerData: { path, autocheckpointPages, gate: gate?.buffer ?? null } satisfies WriterData })
    w.unref()
    w.on('message', (reply: WriterReply) => {
      const p = pending.get(reply.id)
      if (p === undefined) return
      pending.delete(reply.id)
      if (pending.size === 0 && !closed) w.unref()
      if (reply.ok) p.resolve(reply.value)
      else p.reject(Object.assign(new (ERRORS[reply.name] ?? Error)(reply.message), reply.code === undefined ? {} : { code: reply.code, errcode: reply.errcode }))
    })
    let failure: Error | null = null
    w.on('error', err => {
      failure = err
      log?.warn({ err: { message: err.message } }, 'sqlite telemetry writer thread failed')
    })
    w.on('exit', code => {
      if (worker === w) worker = null
      gate?.writerGone()
      const err = new Error(`sqlite telemetry writer thread exited (code ${code})${failure === null ? '' : `: ${failure.message}`}`)
      for (const p of pending.values()) p.reject(err)
      pending.clear()
    })
    return w
  }

  function call<T> (request: Request, transfer: TransferListItem[] = []): Promise<T> {
    if (closed) return Promise.reject(new Error('sqlite telemetry writer closed'))
    const w = worker ??= start()
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      // Held while it owes an answer, so a caller awaiting one is never left by an exiting process.
      if (pending.size === 0) w.ref()
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      w.postMessage({ ...request, id } as WriterRequest, transfer)
    })
  }

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
    starts: () => starts,
    async close () {
      if (closed) return
      closed = true
      if (worker !== null) await closeWorkerThread(worker, { kind: 'close' } satisfies WriterRequest)
    },
  }
}
