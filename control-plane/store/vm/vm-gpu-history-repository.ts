import type { GpuHistoryBucket, GpuHistoryQuery, GpuHistoryRepository } from '../gpu-history-repository.ts'
import type { VmClient, VmSeries } from './create-vm-client.ts'
import { SAMPLE_SERIES } from './vm-series.ts'
import { gpuHistoryBucketsExpr, quote, type GpuHistoryColumn } from './vm-telemetry-queries.ts'
import { splitAtSteps } from './split-at-steps.ts'

const MINUTE = 60_000
const DAY = 86_400_000
/** gpuIds looks this far back: the longest range (30 days) and the retention docs/victoriametrics.md asks for. */
const GPU_IDS_LOOKBACK_MS = 31 * DAY
/** Points per range query at most (VictoriaMetrics' -search.maxPointsPerTimeseries is 30,000). */
const STEPS_PER_QUERY = 10_000

const emptyBucket = (gpuId: number, bucketAt: number): GpuHistoryBucket => ({
  gpuId, bucketAt, samples: 0, utilSum: 0, utilN: 0, utilMax: null, tempSum: 0, tempN: 0, tempMax: null,
  memSum: 0, memN: 0, memMax: null, memTotal: null, powerSum: 0, powerN: 0, powerMax: null,
})

/**
 * Per-GPU history with telemetry in VictoriaMetrics (`--telemetry vm=…`): nothing is stored,
 * every read computes its buckets from the raw samples through MetricsQL (`stepBuckets`: the
 * route's range at its chart step, no stored spans, marks or newest readings to merge), so a
 * late or replayed sample is in the next answer. The history loop's writes do nothing (its
 * watermark stays null: each pass reads nothing and writes nothing).
 */
export function createVmGpuHistoryRepository (options: { client: VmClient, now?: () => number }): GpuHistoryRepository {
  const { client, now = Date.now } = options

  /**
   * Buckets of `stepMs` (UTC-aligned) with samples recorded in [fromMs, toMs): the whole steps
   * through range queries evaluated at each step's last millisecond over a `stepMs` window
   * (VictoriaMetrics' windows are (t − d, t]), a partial first or last step through an instant
   * query whose window is exactly its part.
   */
  async function stepBuckets ({ nodeId, gpuId, fromMs, toMs, stepMs }: GpuHistoryQuery & { stepMs: number }): Promise<GpuHistoryBucket[]> {
    if (!(Number.isInteger(stepMs) && stepMs > 0)) throw new TypeError(`stepBuckets: stepMs must be a positive integer, got ${stepMs}`)
    if (toMs <= fromMs) return []
    const out = new Map<string, GpuHistoryBucket>()
    const add = (series: readonly VmSeries[], bucketOf: (t: number) => number) => {
      for (const s of series) {
        const q = s.metric.q as GpuHistoryColumn | undefined
        const gpu = Number(s.metric.gpu)
        if (q === undefined || !Number.isInteger(gpu)) continue
        for (const [t, v] of s.points) {
          const at = bucketOf(t)
          const key = `${gpu}:${at}`
          let b = out.get(key)
          if (b === undefined) out.set(key, b = emptyBucket(gpu, at))
          b[q] = v
        }
      }
    }
    const part = async (lo: number, hi: number) => {
      add(await client.query(gpuHistoryBucketsExpr(nodeId, gpuId, hi - lo), hi - 1), () => Math.floor(lo / stepMs) * stepMs)
    }
    const { parts, chunks } = splitAtSteps(fromMs, toMs, stepMs, STEPS_PER_QUERY)
    await Promise.all([
      ...parts.map(([lo, hi]) => part(lo, hi)),
      ...chunks.map(([lo, hi]) => client.queryRange(gpuHistoryBucketsExpr(nodeId, gpuId, stepMs), lo + stepMs - 1, hi - 1, stepMs)
        .then(series => add(series, t => t - stepMs + 1))),
    ])
    // A step with no row of the GPU has no bucket (as a GROUP BY has no row).
    return [...out.values()].filter(b => b.samples > 0).sort((a, b) => a.gpuId - b.gpuId || a.bucketAt - b.bucketAt)
  }

  return {
    stepBuckets,
    rawBuckets: stepBuckets,
    // A stored span is the range computed at that step.
    buckets: ({ span, ...q }) => stepBuckets({ ...q, stepMs: span * MINUTE }),
    // stepBuckets reads up to the newest sample: nothing is left to add.
    newest: async () => [],
    async gpuIds (nodeId) {
      const t = now()
      const labels = await client.series(`${SAMPLE_SERIES}{node_id=${quote(String(nodeId))}}`, t - GPU_IDS_LOOKBACK_MS, t)
      const ids = new Set(labels.map(l => Number(l.gpu)).filter(Number.isInteger))
      return [...ids].sort((a, b) => a - b)
    },
    // The loop's side: nothing to build, mark or prune (VictoriaMetrics' retention prunes).
    watermark: async () => null,
    minuteMarks: async () => null,
    advanceMinutes: async () => 0,
    advance: async () => 0,
    markDirty: async () => {},
    rebuildDirty: async () => 0,
    prune: async () => ({ deleted: 0, more: false }),
    pruneMinutes: async () => ({ deleted: 0, more: false }),
  }
}
