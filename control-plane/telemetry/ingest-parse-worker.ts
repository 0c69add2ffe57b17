import { parentPort } from 'node:worker_threads'
import type { ParseWindow } from './parse-gpu-stats-body.ts'
import type { IngestParseOutcome } from './packed-gpu-stats.ts'
import { parseIngestBytes } from './parse-ingest-bytes.ts'

/** One request body as create-parse-pool.ts sends it (in an array: the bodies of one turn), transferred. */
export interface ParseRequest {
  id: number
  bytes: ArrayBuffer
  window: ParseWindow
}

export type ParseReply =
  | { id: number, outcome: IngestParseOutcome }
  | { id: number, error: string }

// The bodies of one message parsed in order and answered in one message (one wake-up of the
// event loop); the samples' Float64Arrays travel back transferred.
parentPort!.on('message', (requests: ParseRequest[]) => {
  const replies: ParseReply[] = []
  const transfer: ArrayBuffer[] = []
  for (const req of requests) {
    try {
      const outcome = parseIngestBytes(new Uint8Array(req.bytes), req.window)
      replies.push({ id: req.id, outcome })
      if (outcome.ok) transfer.push(outcome.packed.numbers.buffer as ArrayBuffer)
    } catch (err) {
      replies.push({ id: req.id, error: (err as Error).message })
    }
  }
  parentPort!.postMessage(replies, transfer)
})
