import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { ParseWindow } from './parse-gpu-stats-body.ts'
import { parseGpuStatsPacked, type IngestParseOutcome } from './packed-gpu-stats.ts'

const utf8 = new TextDecoder()

/**
 * A raw POST /api/gpu-stats body → its verdict: what a parse worker runs (and the event loop,
 * when there are none), so both give the same answers. Decoded as `Request.text()` does
 * (UTF-8, invalid bytes replaced, a BOM dropped); 400 INVALID_JSON when it is not JSON, then
 * parseGpuStatsBody's envelope errors; rows fail-soft, packed as they are accepted.
 */
export function parseIngestBytes (bytes: Uint8Array, window: ParseWindow): IngestParseOutcome {
  try {
    let body: unknown
    try {
      body = JSON.parse(utf8.decode(bytes))
    } catch {
      throw httpError('INVALID_JSON', 'request body is not valid JSON')
    }
    return { ok: true, packed: parseGpuStatsPacked(body, window) }
  } catch (err) {
    if (!(err instanceof HttpError)) throw err
    return { ok: false, status: err.status, code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) }
  }
}
