import { Worker } from 'node:worker_threads'
import { siblingModule } from '../../shared/sibling-module.ts'
import type { ParseWindow } from './parse-gpu-stats-body.ts'
import type { IngestParseOutcome } from './packed-gpu-stats.ts'
import { parseIngestBytes } from './parse-ingest-bytes.ts'
import type { ParseReply, ParseRequest } from './ingest-parse-worker.ts'
import type { TelemetryLogger } from './ingest-types.ts'

export interface ParsePoolOptions {
  /** Most worker threads; 0 parses on the event loop (the same code, inline). */
  size: number
  log: TelemetryLogger
  /** Bodies waiting in or for the workers past this many bytes are refused (the caller answers 503). */
  maxInFlightBytes?: number
  /** The worker's module (tests point it at a wrapper that can crash). */
  workerUrl?: URL
  /**
   * Each worker's young generation, MiB (V8's default grows to 48). A worker's garbage is
   * one body's JSON at a time, dead by the next body, so a small one costs no CPU and keeps
   * each worker's memory small.
   */
  youngGenerationMb?: number
}

export interface ParsePool {
  /**
   * Parse one ingest body off the event loop. Rejects (retry: nothing was parsed or written)
   * when the pool is full or the worker parsing it died; a dead worker is replaced by the
   * next request that needs one.
   */
  parse: (bytes: Uint8Array, window: ParseWindow) => Promise<IngestParseOutcome>
  /** Waits for the bodies being parsed, then ends every worker; later bodies parse inline. */
  close: () => Promise<void>
  /** Worker threads running now. */
  workers: () => number
}

/** parse() refused a body: too many bytes already wait for the workers (nothing parsed; retry later). */
export class ParseQueueFullError extends Error {
  constructor (waitingBytes: number) {
    super(`ingest parse queue full (${waitingBytes} bytes waiting)`)
    this.name = 'ParseQueueFullError'
  }
}

interface Slot {
  worker: Worker
  pending: Map<number, { resolve: (o: IngestParseOutcome) => void, reject: (err: Error) => void }>
  /** Bodies given to this worker in this event-loop turn, posted together at its end. */
  outbox: { requests: ParseRequest[], transfer: ArrayBuffer[] } | null
}

const WORKER_URL = siblingModule(import.meta.url, 'ingest-parse-worker')

/**
 * Ingest's JSON.parse and row validation on worker threads, so the event loop is left with
 * HTTP and the commit and the body work spreads over every core. Workers start as load needs
 * them (a request goes to the least busy one; another starts while all are busy, up to
 * `size`), are unref'd (never keep the process up) and answer with packed samples
 * (packed-gpu-stats.ts).
 */
export function createParsePool (options: ParsePoolOptions): ParsePool {
  const { size, log, maxInFlightBytes = 64 * 1024 * 1024, workerUrl = WORKER_URL, youngGenerationMb = 8 } = options
  if (!Number.isInteger(size) || size < 0) throw new TypeError(`createParsePool: size must be an integer ≥ 0, got ${size}`)
  if (!Number.isFinite(youngGenerationMb) || youngGenerationMb < 1) throw new TypeError(`createParsePool: youngGenerationMb must be ≥ 1, got ${youngGenerationMb}`)
  if (!Number.isFinite(maxInFlightBytes) || maxInFlightBytes < 1) throw new TypeError(`createParsePool: maxInFlightBytes must be ≥ 1, got ${maxInFlightBytes}`)
  const slots: Slot[] = []
  const inFlight = new Set<Promise<unknown>>()
  let inFlightBytes = 0
  let nextId = 1
  let closing = false

  function spawn (): Slot {
    const worker = new Worker(workerUrl, { resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb } })
    const slot: Slot = { worker, pending: new Map(), outbox: null }
    let failure: Error | null = null
    worker.on('message', (replies: ParseReply[]) => {
      for (const reply of replies) {
        const p = slot.pending.get(reply.id)
        if (p === undefined) continue
        slot.pending.delete(reply.id)
        if ('outcome' in reply) p.resolve(reply.outcome)
        else p.reject(new Error(`parse worker: ${reply.error}`))
      }
      if (slot.pending.size === 0) worker.unref()
    })
    worker.on('error', err => { failure = err })
    worker.on('exit', code => {
      const at = slots.indexOf(slot)
      if (at >= 0) slots.splice(at, 1)
      if (slot.pending.size === 0 && closing) return
      const err = new Error(`parse worker exited (code ${code}${failure === null ? '' : `: ${failure.message}`})`)
      log.error({ err: { message: err.message }, requests: slot.pending.size }, 'telemetry ingest: a parse worker died; its requests fail (retry), the next one starts a new worker')
      for (const p of slot.pending.values()) p.reject(err)
      slot.pending.clear()
      slot.outbox = null
    })
    // Idle, it never keeps the process up (after the listeners: attaching 'message' refs it again).
    worker.unref()
    slots.push(slot)
    return slot
  }

  // One message per worker and turn, however many bodies arrived in it: every message wakes
  // the worker's thread, and on a machine with as many busy threads as cores each wake-up
  // takes the core from the event loop (that, not the copy, was postMessage's cost per body).
  function post (slot: Slot): void {
    const outbox = slot.outbox
    slot.outbox = null
    if (outbox === null) return
    try {
      slot.worker.postMessage(outbox.requests, outbox.transfer)
    } catch (err) {
      for (const r of outbox.requests) {
        slot.pending.get(r.id)?.reject(err as Error)
        slot.pending.delete(r.id)
      }
      if (slot.pending.size === 0) slot.worker.unref()
    }
  }

  function pick (): Slot {
    let best: Slot | undefined
    for (const s of slots) if (best === undefined || s.pending.size < best.pending.size) best = s
    if (best === undefined || (best.pending.size > 0 && slots.length < size)) return spawn()
    return best
  }

  return {
    parse (bytes, window) {
      if (size === 0 || closing) return Promise.resolve(parseIngestBytes(bytes, window))
      if (inFlightBytes > 0 && inFlightBytes + bytes.byteLength > maxInFlightBytes) {
        return Promise.reject(new ParseQueueFullError(inFlightBytes))
      }
      const slot = pick()
      const id = nextId++
      const length = bytes.byteLength
      // Transferred when the bytes own their buffer (taken now: the caller's copy is detached at
      // once, as posting it would, so one buffer can never be in a message twice); otherwise a
      // copy that does. Bytes already taken (detached) are an empty body.
      const whole = bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && length === bytes.buffer.byteLength ? bytes.buffer : null
      const buffer = whole?.detached === true ? new ArrayBuffer(0) : whole !== null ? whole.transfer() : bytes.slice().buffer
      inFlightBytes += length
      const done = new Promise<IngestParseOutcome>((resolve, reject) => {
        // A body being parsed holds the process up, as an open request would.
        if (slot.pending.size === 0) slot.worker.ref()
        slot.pending.set(id, { resolve, reject })
        if (slot.outbox === null) {
          slot.outbox = { requests: [], transfer: [] }
          setImmediate(post, slot)
        }
        slot.outbox.requests.push({ id, bytes: buffer, window })
        slot.outbox.transfer.push(buffer)
      })
      const settled = done.then(() => {}, () => {}).finally(() => {
        inFlightBytes -= length
        inFlight.delete(settled)
      })
      inFlight.add(settled)
      return done
    },
    async close () {
      closing = true
      while (inFlight.size > 0) await Promise.all(inFlight)
      await Promise.all(slots.slice().map(s => s.worker.terminate()))
    },
    workers: () => slots.length,
  }
}
