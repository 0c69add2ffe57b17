import type { JobKind } from '../store/analytics-repository.ts'

export interface HistoryKind {
  /** The path segment: GET /v1/history/{name}. */
  name: string
  /** gpu: jobs priced from rates; inference: request records; endpoint: serving deployments. */
  records: 'gpu' | 'inference' | 'endpoint'
  /** For records 'gpu': the jobs.kind values listed. */
  jobKinds: readonly JobKind[]
  description: string
}

/**
 * Seed 001's five kinds, plus `serving`: jobs whose kind is inference or endpoint are GPU
 * capacity reserved for serving; they cost money like any GPU job, so they get a priced list
 * of their own instead of being mixed into the (unpriced) request records.
 */
export const HISTORY_KINDS: readonly HistoryKind[] = Object.freeze([
  { name: 'benchmarks', records: 'gpu', jobKinds: ['benchmark'], description: 'Benchmark jobs, with cost' },
  { name: 'training', records: 'gpu', jobKinds: ['training'], description: 'Training jobs, with cost' },
  { name: 'compute', records: 'gpu', jobKinds: ['compute'], description: 'Other GPU jobs (the default kind), with cost' },
  { name: 'inference', records: 'inference', jobKinds: [], description: 'Inference requests from serving layers: tokens, latency, status; no cost' },
  { name: 'endpoints', records: 'endpoint', jobKinds: [], description: 'Serving deployments and their lifecycle, with activity and token totals; no cost' },
  { name: 'serving', records: 'gpu', jobKinds: ['inference', 'endpoint'], description: 'GPU jobs that host serving (kind inference or endpoint), with cost' },
] satisfies HistoryKind[])
