import type { SampleBatch, SampleBatchResult, TelemetryRepository } from '../store/telemetry-repository.ts'
import { batchRows } from '../store/packed-samples.ts'
import { realTelemetryTimers, type TelemetryTimers } from './telemetry-timers.ts'

export interface CommitInfo {
  batches: number
  rows: number
  seconds: number
  ok: boolean
}

export interface IngestQueueOptions {
  store: Pick<TelemetryRepository, 'insertSamples'>
  /** How long the first queued request waits for others to share its transaction. */
  windowMs?: number
  /**
   * Commit at once when this many rows are queued, and put no more than this in one
   * transaction (a request's batch is never split; a single larger one commits alone).
   */
  maxRows?: number
  /**
   * Backpressure: a request whose rows would take the rows waiting for a commit past this is
   * refused at once with IngestQueueFullError (the caller answers 503; agents keep the rows in
   * their spool and retry) instead of queueing without bound (default 64 × maxRows).
   */
  maxQueuedRows?: number
  timers?: TelemetryTimers
  /** After every commit attempt (metrics, retention). Must not throw. */
  onCommit?: (info: CommitInfo) => void
}

export interface IngestQueue {
  /** Resolves once `batch` is committed; rejects if its commit failed (nothing of it stored). */
  submit: (batch: SampleBatch) => Promise<SampleBatchResult>
  /** Resolves when everything submitted so far has been committed or failed. */
  drain: () => Promise<void>
}

/** submit() refused a batch: the queue is full (nothing of it stored; retry later). */
export class IngestQueueFullError extends Error {
  constructor (queuedRows: number) {
    super(`ingest queue full (${queuedRows} rows waiting for a commit)`)
    this.name = 'IngestQueueFullError'
  }
}

interface Pending {
  batch: SampleBatch
  resolve: (r: SampleBatchResult) => void
  reject: (err: unknown) => void
}

/**
 * Group commit: concurrent requests' rows are queued and written in one transaction every
 * `windowMs` (or as soon as `maxRows` are waiting), and each request is answered only after
 * the transaction holding its rows commits. One commit runs at a time; whatever queues up
 * meanwhile goes into the next one at once, so batches grow with load by themselves, up to
 * `maxRows` per transaction: when a commit is slow (PostgreSQL under load) the queue would
 * otherwise hand it everything that arrived meanwhile, and transactions, their parameter
 * arrays and the memory they need would grow with the backlog.
 * A failed transaction is retried batch by batch, so one poisonous request fails alone.
 */
export function createIngestQueue (options: IngestQueueOptions): IngestQueue {
  const { store, windowMs = 2, maxRows = 4096, timers = realTelemetryTimers, onCommit = () => {} } = options
  const maxQueuedRows = options.maxQueuedRows ?? 64 * maxRows
  if (!Number.isFinite(windowMs) || windowMs < 0) throw new TypeError(`createIngestQueue: windowMs must be ≥ 0, got ${windowMs}`)
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new TypeError(`createIngestQueue: maxRows must be a positive integer, got ${maxRows}`)
  if (!Number.isInteger(maxQueuedRows) || maxQueuedRows < 1) throw new TypeError(`createIngestQueue: maxQueuedRows must be a positive integer, got ${maxQueuedRows}`)

  let pending: Pending[] = []
  let pendingRows = 0
  let timer: unknown = null
  let running: Promise<void> | null = null

  async function commit (items: Pending[]): Promise<void> {
    const rows = items.reduce((n, it) => n + batchRows(it.batch), 0)
    const started = performance.now()
    try {
      const results = await store.insertSamples(items.map(it => it.batch))
      onCommit({ batches: items.length, rows, seconds: (performance.now() - started) / 1000, ok: true })
      items.forEach((it, i) => it.resolve(results[i]!))
      return
    } catch (err) {
      onCommit({ batches: items.length, rows, seconds: (performance.now() - started) / 1000, ok: false })
      if (items.length === 1) {
        items[0]!.reject(err)
        return
      }
    }
    for (const it of items) await commit([it])
  }

  async function run (): Promise<void> {
    while (pending.length > 0) {
      let take = 0
      let rows = 0
      while (take < pending.length && (take === 0 || rows + batchRows(pending[take]!.batch) <= maxRows)) {
        rows += batchRows(pending[take]!.batch)
        take++
      }
      const items = pending.slice(0, take)
      pending = pending.slice(take)
      pendingRows -= rows
      await commit(items)
    }
  }

  function start (): void {
    if (timer !== null) {
      timers.clearTimeout(timer)
      timer = null
    }
    if (running !== null) return
    running = run().finally(() => {
      running = null
      if (pending.length > 0) schedule()
    })
  }

  function schedule (): void {
    // A commit in flight picks up the queue when it finishes.
    if (running !== null) return
    if (pendingRows >= maxRows) start()
    else if (timer === null) timer = timers.setTimeout(start, windowMs)
  }

  return {
    submit (batch) {
      // One batch is always taken when nothing waits (a single large one commits alone).
      if (pendingRows > 0 && pendingRows + batchRows(batch) > maxQueuedRows) return Promise.reject(new IngestQueueFullError(pendingRows))
      return new Promise<SampleBatchResult>((resolve, reject) => {
        pending.push({ batch, resolve, reject })
        pendingRows += batchRows(batch)
        schedule()
      })
    },
    async drain () {
      while (pending.length > 0 || running !== null) {
        if (running === null) start()
        await running
      }
    },
  }
}
