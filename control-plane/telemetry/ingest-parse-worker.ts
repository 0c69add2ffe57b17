import { parentPort } from 'node:worker_threads'
import type { ParseWindow } from './parse-gpu-stats-body.ts'
import type { IngestParseOutcome } from './packed-gpu-stats.ts'
import { parseIngestBytes } from './parse-ingest-bytes.ts'

/** What create-parse-pool.ts sends a worker: one request body, transferred. */
export interface ParseRequest {
  id: number
  bytes: ArrayBuffer
  window: ParseWindow
}

export type ParseReply =
  | { id: number, outcome: IngestParseOutcome }
  | { id: number, error: string }

// One body at a time, answered in order; the samples' Float64Array travels back transferred.
parentPort!.on('message', (req: ParseRequest) => {
  let reply: ParseReply
  try {
    reply = { id: req.id, outcome: parseIngestBytes(new Uint8Array(req.bytes), req.window) }
  } catch (err) {
    reply = { id: req.id, error: (err as Error).message }
  }
  const transfer = 'outcome' in reply && reply.outcome.ok ? [reply.outcome.packed.numbers.buffer as ArrayBuffer] : []
  parentPort!.postMessage(reply, transfer)
})
