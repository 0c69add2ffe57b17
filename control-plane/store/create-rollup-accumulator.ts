import { emptyDelta, mergeDelta, type SampleDelta } from './sample-delta.ts'

export interface RollupRow extends SampleDelta {
  scopeKind: number
  scopeId: number
  spanMin: number
  bucketAt: number
  /** The largest per-second scope sum seen in this bucket by this transaction (null: none). */
  powerMaxW: number | null
}

export interface RollupAccumulator {
  /**
   * Folds one second of one scope into every span's bucket: `secondSumW` is that second's
   * whole power sum in scope AFTER this transaction's rows (null when they carried no power),
   * `delta` what this transaction's rows add.
   */
  add: (scopeKind: number, scopeId: number, secondAt: number, secondSumW: number | null, delta: SampleDelta) => void
  rows: () => RollupRow[]
}

/**
 * Collects one transaction's rollup changes so each (scope, span, bucket) is written once,
 * however many seconds a replayed batch covers. Because per-second sums only grow (rows are
 * added, never changed, and power is ≥ 0), max(stored max, new second sum) is exact.
 */
export function createRollupAccumulator (spansFor: (scopeKind: number) => readonly number[]): RollupAccumulator {
  const byKey = new Map<string, RollupRow>()
  return {
    add (scopeKind, scopeId, secondAt, secondSumW, delta) {
      for (const span of spansFor(scopeKind)) {
        const spanMs = span * 60_000
        const bucketAt = Math.floor(secondAt / spanMs) * spanMs
        const key = `${scopeKind}:${scopeId}:${span}:${bucketAt}`
        let row = byKey.get(key)
        if (row === undefined) {
          row = { scopeKind, scopeId, spanMin: span, bucketAt, powerMaxW: null, ...emptyDelta() }
          byKey.set(key, row)
        }
        mergeDelta(row, delta)
        if (secondSumW !== null) row.powerMaxW = row.powerMaxW === null ? secondSumW : Math.max(row.powerMaxW, secondSumW)
      }
    },
    rows: () => [...byKey.values()],
  }
}
