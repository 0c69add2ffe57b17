import { Counter, Histogram, type Registry } from 'prom-client'
import type { CommitInfo } from './create-ingest-queue.ts'

export type IngestOutcome = 'ok' | 'rejected' | 'failed'

export interface IngestMetrics {
  request: (outcome: IngestOutcome) => void
  rows: (counts: { accepted: number, skipped: number, duplicates: number }) => void
  commit: (info: CommitInfo) => void
}

const PREFIX = 'gpufleet_cp_telemetry_'

/** Ingest figures on the control plane's /metrics registry; a no-op without one. */
export function createIngestMetrics (registry: Registry | undefined): IngestMetrics {
  if (registry === undefined) return { request () {}, rows () {}, commit () {} }
  const requests = new Counter({
    name: `${PREFIX}ingest_requests_total`,
    help: 'POST /api/gpu-stats requests by outcome: ok (committed), rejected (4xx), failed (commit failed, 503).',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const rows = new Counter({
    name: `${PREFIX}ingest_rows_total`,
    help: 'Ingested GPU rows by result: accepted (stored), skipped (invalid, fail-soft), duplicate (already stored).',
    labelNames: ['result'],
    registers: [registry],
  })
  const batchRows = new Histogram({
    name: `${PREFIX}group_commit_rows`,
    help: 'Rows written per group-commit transaction.',
    buckets: [8, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192],
    registers: [registry],
  })
  const batchRequests = new Histogram({
    name: `${PREFIX}group_commit_requests`,
    help: 'Requests sharing one group-commit transaction.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  })
  const commitSeconds = new Histogram({
    name: `${PREFIX}commit_duration_seconds`,
    help: 'Group-commit transaction latency in seconds, by result.',
    labelNames: ['result'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  })
  // Children bound once: inc() on them skips hashing the labels, 5,000 times a second.
  const byOutcome = { ok: requests.labels('ok'), rejected: requests.labels('rejected'), failed: requests.labels('failed') }
  const accepted = rows.labels('accepted')
  const skipped = rows.labels('skipped')
  const duplicate = rows.labels('duplicate')
  const commitOk = commitSeconds.labels('ok')
  const commitFailed = commitSeconds.labels('failed')
  return {
    request: outcome => byOutcome[outcome].inc(),
    rows (counts) {
      if (counts.accepted > 0) accepted.inc(counts.accepted)
      if (counts.skipped > 0) skipped.inc(counts.skipped)
      if (counts.duplicates > 0) duplicate.inc(counts.duplicates)
    },
    commit (info) {
      (info.ok ? commitOk : commitFailed).observe(info.seconds)
      if (info.ok) {
        batchRows.observe(info.rows)
        batchRequests.observe(info.batches)
      }
    },
  }
}
