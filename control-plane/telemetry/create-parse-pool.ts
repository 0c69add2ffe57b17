import { Worker } from 'node:worker_threads'
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
}

// The packed CLI runs the JavaScript tsc emitted beside each .ts (scripts/pack.ts): same extension as this module.
const WORKER_URL = new URL(`./ingest-parse-worker${import.meta.url.endsWith('.js') ? '.js' : '.ts'}`, import.meta.url)

/**
 * Ingest's JSON.parse and row validation on worker threads, so the event loop is left with
 * HTTP and the commit and the body work spreads over every core. Workers start as load needs
 * them (a request goes to the least busy one; another starts while all are busy, up to
 * `size`), are unref'd (never keep the process up) and answer with packed samples
 * (packed-gpu-stats.ts).
 */
export function createParsePool (options: ParsePoolOptions): ParsePool {
  const { size, log, maxInFlightBytes = 64 * 1024 * 1024, workerUrl = WORKER_URL } = options
  if (!Number.isInteger(size) || size < 0) throw new TypeError(`createParsePool: size must be an integer ≥ 0, got ${size}`)
  if (!Number.isFinite(maxInFlightBytes) || maxInFlightBytes < 1) throw new TypeError(`createParsePool: maxInFlightBytes must be ≥ 1, got ${maxInFlightBytes}`)
  const slots: Slot[] = []
  const inFlight = new Set<Promise<unknown>>()
  let inFlightBytes = 0
  let nextId = 1
  let closing = false

  function spawn (): Slot {
    const worker = new Worker(workerUrl)
    const slot: Slot = { worker, pending: new Map() }
    let failure: Error | null = null
    worker.on('message', (reply: ParseReply) => {
      const p = slot.pending.get(reply.id)
      if (p === undefined) return
      slot.pending.delete(reply.id)
      if (slot.pending.size === 0) worker.unref()
      if ('outcome' in reply) p.resolve(reply.outcome)
      else p.reject(new Error(`parse worker: ${reply.error}`))
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
    })
    // Idle, it never keeps the process up (after the listeners: attaching 'message' refs it again).
    worker.unref()
    slots.push(slot)
    return slot
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
      // Transferred when the bytes own their buffer; otherwise a copy that does.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
      const buffer = own ? bytes.buffer : bytes.slice().buffer
      const length = bytes.byteLength
      inFlightBytes += length
      const done = new Promise<IngestParseOutcome>((resolve, reject) => {
        // A body being parsed holds the process up, as an open request would.
        if (slot.pending.size === 0) slot.worker.ref()
        slot.pending.set(id, { resolve, reject })
        try {
          slot.worker.postMessage({ id, bytes: buffer, window } satisfies ParseRequest, [buffer])
        } catch (err) {
          slot.pending.delete(id)
          if (slot.pending.size === 0) slot.worker.unref()
          reject(err as Error)
        }
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
