import type { GpuHistoryBucket, GpuHistoryRepository, HistorySpan } from '../store/gpu-history-repository.ts'
import type { GpuHistoryRange } from '../../shared/wire/gpu-history-schemas.ts'
import { HISTORY_LOOKBACK_MS } from '../loops/create-gpu-history-loop.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

/** Per range: its length, the chart step, and the stored span read. */
export const RANGE_PLANS: Record<GpuHistoryRange, { ms: number, stepMs: number, span: HistorySpan }> = {
  '1h': { ms: HOUR, stepMs: MIN, span: 1 },
  '24h': { ms: DAY, stepMs: 5 * MIN, span: 5 },
  '7d': { ms: 7 * DAY, stepMs: HOUR, span: 60 },
  '30d': { ms: 30 * DAY, stepMs: 3 * HOUR, span: 60 },
}

export interface GpuHistoryWindow {
  fromMs: number
  stepMs: number
  /** Per GPU index, its buckets of stepMs, oldest first. */
  byGpu: Map<number, GpuHistoryBucket[]>
}

/**
 * One node's (or GPU's) history over a range ending at `now`, from stored buckets only: the
 * range's span up to the loop's watermark, its 1-minute buckets up to where the last pass
 * built them (the current minute, normally), then each GPU's newest reading if no stored
 * minute holds it (a key lookup per GPU: raw rows of those minutes would be a time range of
 * every node's rows on SQLite), merged into buckets of the range's step. No raw time range
 * is read; a row that arrived after the last pass, other than a GPU's newest, shows after the next.
 */
export async function queryGpuHistory (
  history: Pick<GpuHistoryRepository, 'watermark' | 'minuteMarks' | 'buckets' | 'newest' | 'stepBuckets'>,
  q: { nodeId: number, gpuId?: number | undefined, range: GpuHistoryRange, now: number },
): Promise<GpuHistoryWindow> {
  const plan = RANGE_PLANS[q.range]
  const fromMs = Math.floor((q.now - plan.ms) / plan.stepMs) * plan.stepMs
  const end = q.now + 1
  if (history.stepBuckets !== undefined) {
    // VictoriaMetrics: the whole range at its step, from the samples themselves.
    const buckets = await history.stepBuckets({ nodeId: q.nodeId, gpuId: q.gpuId, fromMs, toMs: end, stepMs: plan.stepMs })
    return { fromMs, stepMs: plan.stepMs, byGpu: mergeBuckets(buckets, plan.stepMs) }
  }
  const clamp = (t: number, lo: number) => Math.min(Math.max(t, lo), end)
  const [watermark, marks] = await Promise.all([history.watermark(), history.minuteMarks()])
  const storedTo = plan.span === 1 ? fromMs : clamp(watermark ?? fromMs, fromMs)
  const minutesTo = clamp(marks?.builtAt ?? storedTo, storedTo)
  const { nodeId, gpuId } = q
  const parts = await Promise.all([
    plan.span === 1 ? [] : history.buckets({ nodeId, gpuId, fromMs, toMs: storedTo, span: plan.span }),
    history.buckets({ nodeId, gpuId, fromMs: storedTo, toMs: minutesTo, span: 1 }),
    history.newest({ nodeId, gpuId, fromMs: Math.max(fromMs, q.now - HISTORY_LOOKBACK_MS), toMs: end, builtTo: minutesTo }),
  ])
  return { fromMs, stepMs: plan.stepMs, byGpu: mergeBuckets(parts.flat(), plan.stepMs) }
}

/** Buckets merged into UTC-aligned steps of `stepMs` per GPU (sums and counts add, maxima max). */
export function mergeBuckets (buckets: readonly GpuHistoryBucket[], stepMs: number): Map<number, GpuHistoryBucket[]> {
  const merged = new Map<string, GpuHistoryBucket>()
  for (const b of buckets) {
    const at = Math.floor(b.bucketAt / stepMs) * stepMs
    const key = `${b.gpuId}:${at}`
    const m = merged.get(key)
    if (m === undefined) { merged.set(key, { ...b, bucketAt: at }); continue }
    m.samples += b.samples
    m.utilSum += b.utilSum; m.utilN += b.utilN; m.utilMax = maxOf(m.utilMax, b.utilMax)
    m.tempSum += b.tempSum; m.tempN += b.tempN; m.tempMax = maxOf(m.tempMax, b.tempMax)
    m.memSum += b.memSum; m.memN += b.memN; m.memMax = maxOf(m.memMax, b.memMax); m.memTotal = maxOf(m.memTotal, b.memTotal)
    m.powerSum += b.powerSum; m.powerN += b.powerN; m.powerMax = maxOf(m.powerMax, b.powerMax)
  }
  const byGpu = new Map<number, GpuHistoryBucket[]>()
  for (const b of [...merged.values()].sort((x, y) => x.gpuId - y.gpuId || x.bucketAt - y.bucketAt)) {
    const list = byGpu.get(b.gpuId)
    if (list === undefined) byGpu.set(b.gpuId, [b])
    else list.push(b)
  }
  return byGpu
}

function maxOf (a: number | null, b: number | null): number | null {
  if (a === null) return b
  return b === null ? a : Math.max(a, b)
}
