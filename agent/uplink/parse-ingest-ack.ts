/**
 * The control plane's answer to `POST /api/gpu-stats`, as far as the uplink needs it.
 * Seed 000 answers `{"ok": true}`; gpufleet's ingest adds `accepted`, `duplicates` and
 * `skipped` (rows dropped fail-soft: invalid, or outside its time window, e.g. an agent
 * clock more than 5 min ahead). Skipped rows were not stored, so they are not "pushed".
 */
export interface IngestAck {
  /** Rows the control plane did not store (fail-soft); 0 when the answer does not say. */
  skipped: number
}

/** null: not an ingest acknowledgement (a proxy's 200 page, `{}`, a malformed count). */
export function parseIngestAck (body: unknown): IngestAck | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null
  const b = body as { ok?: unknown, skipped?: unknown }
  if (b.ok !== true) return null
  if (b.skipped === undefined) return { skipped: 0 }
  if (typeof b.skipped !== 'number' || !Number.isInteger(b.skipped) || b.skipped < 0) return null
  return { skipped: b.skipped }
}
