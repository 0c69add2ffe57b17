import type { Snapshot } from '../collector/snapshot.ts'
import type { GpuSource } from '../gpu-source.ts'
import { httpError } from '../../shared/error-codes.ts'

export interface FreshSnapshot {
  snapshot: Snapshot
  ageMs: number
}

/**
 * The newest snapshot if it is fresh enough to serve as "now". Readings older than
 * `staleAfterMs` are refused with their age rather than shown as current: a hung
 * nvidia-smi must look hung to the operator, not idle.
 */
export function freshSnapshot (source: GpuSource, nowMs: number, staleAfterMs: number, monotonicNowMs?: number): FreshSnapshot {
  const snapshot = source.latest()
  if (snapshot === null) {
    throw httpError('GPU_DATA_UNAVAILABLE', 'no GPU reading yet: the collector has not produced its first snapshot')
  }
  const ageMs = snapshotAgeMs(snapshot, nowMs, monotonicNowMs)
  if (ageMs > staleAfterMs) {
    const recordedAt = new Date(snapshot.recordedAt).toISOString()
    throw httpError('GPU_DATA_STALE',
      `GPU data is stale: newest reading is ${(ageMs / 1000).toFixed(1)} s old (recorded at ${recordedAt}; limit ${staleAfterMs / 1000} s)`,
      { age_ms: ageMs, recorded_at: recordedAt, stale_after_ms: staleAfterMs })
  }
  return { snapshot, ageMs }
}

/**
 * Age of a snapshot, on the monotonic clock when the snapshot carries its monotonic stamp (a
 * wall-clock step backwards must not make old data look fresh, nor a step forwards fresh data
 * look old); on the wall clock otherwise, where a reading stamped in the future counts as 0.
 */
export function snapshotAgeMs (snapshot: Snapshot, nowMs: number, monotonicNowMs?: number): number {
  if (snapshot.monotonicAt !== undefined && monotonicNowMs !== undefined) return Math.max(0, Math.round(monotonicNowMs - snapshot.monotonicAt))
  return Math.max(0, nowMs - snapshot.recordedAt)
}
