import { emptyDelta, mergeDelta, type SampleDelta } from './sample-delta.ts'

export interface RollupRow extends SampleDelta {
  scopeKind: number
  scopeId: number
  spanMin: number
  bucketAt: number
  /** The largest power seen in this bucket by this transaction (null: none): tick sums for a node, per-second sums above. */
  powerMaxW: number | null
}

export interface RollupAccumulator {
  /**
   * Folds one second of one scope into every span's bucket: `secondSumW` is that second's
   * power in scope AFTER this transaction's rows (for a node, the largest sum of one of its
   * ticks that gained rows; above, the per-second sum of each node's latest tick; null when
   * nothing changed it), `delta` what this transaction's rows add.
   */
  add: (scopeKind: number, scopeId: number, secondAt: number, secondSumW: number | null, delta: SampleDelta) => void
  rows: () => RollupRow[]
}

/**
 * Collects one transaction's rollup changes so each (scope, span, bucket) is written once,
 * however many seconds a replayed batch covers. A node's tick sums only grow (rows are added,
 * never changed, and power is ≥ 0), so max(stored max, new tick sum) is exact for a node. A
 * cluster's or the fleet's second can go down (a node's newer tick in that second replaces
 * its older one): the engines recompute the MAX of the buckets such a second may have held.
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
