import type {
  GpuSample, LatestFilter, MinuteRollup, PowerBucket, PowerBucketQuery, SampleBatchResult,
  StoredGpuSample, TelemetryRepository, TelemetryScope,
} from '../telemetry-repository.ts'
import type { VmClient, VmSeries } from './create-vm-client.ts'
import { encodeBatches, SAMPLE_SERIES, VM_FIELDS, type WrittenTick } from './vm-series.ts'
import { foldLatest } from './fold-latest.ts'
import { foldHistory, type VmGpuReadingsAt } from './fold-history.ts'
import { countExpr, historyExpr, latestExpr, minutePowerExpr, minuteRollupExpr, quote, scopeMatchers } from './vm-telemetry-queries.ts'

const MINUTE = 60_000
const DAY = 86_400_000
// Range queries in flight per read.
const PARALLEL = 4
// Latest: how far ahead ingest accepts rows (create-telemetry-router.ts futureToleranceMs), and
// the windows tried before the whole lookback.
const FUTURE_MS = 5 * MINUTE
const LATEST_WINDOWS = [10 * MINUTE, 6 * 3_600_000, DAY]
const LATEST_NARROW_NODES = 25
const LATEST_NARROW_MAX = 400

const chunks = <T>(xs: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n))

export interface VmTelemetryOptions {
  client: VmClient
  now?: () => number
  /** How far back latest looks for a GPU's newest row (default 7 days: seed 000's raw retention). */
  latestLookbackMs?: number
  /** Minutes per range query (default 10,000: under -search.maxPointsPerTimeseries' default 30,000). */
  chunkMinutes?: number
  /**
   * Minutes per range query that sums per second (a cluster's or the fleet's power): its
   * subquery has a point per second, and -search.maxPointsPerTimeseries bounds those too
   * (default 480: 28,800 seconds plus the subquery's lead-in).
   */
  secondChunkMinutes?: number
}

export interface VmTelemetryRepository extends TelemetryRepository {
  /** One GPU's raw rows recorded in [fromMs, toMs), by recordedAt: raw samples through MetricsQL. */
  gpuHistory: (nodeId: number, gpuId: number, fromMs: number, toMs: number) => Promise<VmGpuReadingsAt[]>
  /** VictoriaMetrics compresses by itself: nothing to compact. */
  compact: (request: { before: number, limit: number }) => Promise<{ moved: number, more: boolean }>
}

/**
 * GPU telemetry in VictoriaMetrics (`--telemetry vm=…`): every row goes to VictoriaMetrics as
 * dcgm-exporter series (vm-series.ts), and the reads are MetricsQL over them. No answer is kept
 * here (only each node's last written tick): latest, the minute rollups and power history are
 * computed from the raw series when asked, so a late or replayed row is in every answer as soon
 * as VictoriaMetrics has it.
 * Retention is VictoriaMetrics' own (-retentionPeriod); idempotency is its deduplication
 * (-dedup.minScrapeInterval=1ms: one sample per series and millisecond). See
 * docs/victoriametrics.md.
 */
export function createVmTelemetryRepository (options: VmTelemetryOptions): VmTelemetryRepository {
  const { client, now = Date.now, latestLookbackMs = 7 * DAY, chunkMinutes = 10_000, secondChunkMinutes = 480 } = options
  // Each node's newest tick written by this process: how a push continuing a tick is told (vm-series.ts).
  const lastTicks = new Map<number, WrittenTick>()

  /**
   * Per-minute series of `expr` over the minutes in [fromMs, toMs), points at each minute's
   * start. Chunks run a few at a time.
   */
  async function minutes (expr: string, scope: TelemetryScope, fromMs: number, toMs: number): Promise<VmSeries[]> {
    const step = (scope.kind === 'node' ? chunkMinutes : secondChunkMinutes) * MINUTE
    const ranges: Array<[number, number]> = []
    for (let lo = fromMs; lo < toMs; lo += step) ranges.push([lo, Math.min(toMs, lo + step)])
    const out: VmSeries[] = []
    for (let i = 0; i < ranges.length; i += PARALLEL) {
      const answers = await Promise.all(ranges.slice(i, i + PARALLEL).map(([lo, hi]) =>
        // Evaluated at each minute's last millisecond: the window (t - 1 m, t] is the minute.
        client.queryRange(expr, lo + MINUTE - 1, hi - 1, MINUTE)))
      for (const series of answers) {
        for (const s of series) out.push({ metric: s.metric, points: s.points.map(([t, v]) => [t - MINUTE + 1, v]) })
      }
    }
    return out
  }

  return {
    async insertSamples (batches) {
      const { body, rows, newestTicks } = encodeBatches(batches, lastTicks)
      if (body !== '') await client.importLines(body)
      for (const [nodeId, tick] of newestTicks) lastTicks.set(nodeId, tick)
      return batches.map((batch, i): SampleBatchResult => {
        const stored = rows[i]!
        const newestByGpu = new Map<number, GpuSample>()
        for (const s of stored) {
          const prev = newestByGpu.get(s.gpuId)
          if (prev === undefined || s.recordedAt > prev.recordedAt) newestByGpu.set(s.gpuId, s)
        }
        // VictoriaMetrics does not say which rows it had already: every row sent counts as
        // inserted (a replay again; its deduplication keeps one).
        const newest = [...newestByGpu.values()].sort((a, b) => a.gpuId - b.gpuId).map(withId)
        return { inserted: stored.length, duplicates: batch.samples.length - stored.length, newest }
      })
    },

    async latest (filter: LatestFilter = {}) {
      const m: string[] = []
      if (filter.nodeId !== undefined) m.push(`node_id=${quote(String(filter.nodeId))}`)
      if (filter.clusterId !== undefined) m.push(`cluster_id=${quote(String(filter.clusterId))}`)
      if (filter.hostname !== undefined) m.push(`Hostname=${quote(filter.hostname)}`)
      // Which GPUs have rows in the lookback (the index, cheap), then their newest rows through
      // windows that widen only for the GPUs not found yet: a window reads every sample in it,
      // and reporting GPUs are all in the first. Evaluated FUTURE_MS ahead: ingest accepts rows
      // stamped up to that far ahead of its clock.
      const at = now() + FUTURE_MS
      const matchers = m.join(', ')
      const known = await client.series(`${SAMPLE_SERIES}{${matchers}}`, at - latestLookbackMs, at)
      let missing = new Set(known.map(l => `${l.node_id}:${l.gpu}`))
      const found: VmSeries[] = []
      const windows = [...LATEST_WINDOWS.filter(w => w < latestLookbackMs), latestLookbackMs]
      for (let i = 0; i < windows.length && missing.size > 0; i++) {
        const windowMs = windows[i]!
        const nodes = [...new Set([...missing].map(k => k.split(':')[0]!))].sort()
        // The nodes of the GPUs still missing, a few per query (-search.maxQueryLen: 16 KiB, and
        // the matcher is repeated per reading); past a few hundred, the whole scope again.
        const narrowed = i === 0 || nodes.length > LATEST_NARROW_MAX
          ? [matchers]
          : chunks(nodes, LATEST_NARROW_NODES).map(c => [...m, `node_id=~${quote(c.join('|'))}`].join(', '))
        const series = (await Promise.all(narrowed.map(n => client.query(latestExpr(n, VM_FIELDS.map(f => f.series), windowMs), at)))).flat()
        const rows = new Set(series.filter(s => s.metric.q === 'at').map(s => `${s.metric.node_id}:${s.metric.gpu}`))
        // A GPU with a row in this window has its newest row in it: keep its answer, drop the rest.
        found.push(...series.filter(s => missing.has(`${s.metric.node_id}:${s.metric.gpu}`) && rows.has(`${s.metric.node_id}:${s.metric.gpu}`)))
        missing = new Set([...missing].filter(k => !rows.has(k)))
      }
      return foldLatest(found)
    },

    async powerBuckets (q: PowerBucketQuery): Promise<PowerBucket[]> {
      const series = await minutes(minutePowerExpr(q.scope), q.scope, q.fromMs, q.toMs)
      const offsetMs = q.offsetMinutes * MINUTE
      const bucketMs = q.bucketMinutes * MINUTE
      const byWall = new Map<number, number>()
      for (const s of series) {
        for (const [minuteAt, watts] of s.points) {
          // As the SQL store: buckets start at local midnight + k × bucket_minutes.
          const local = minuteAt + offsetMs
          const wall = Math.floor(local / DAY) * DAY + Math.floor((local % DAY) / bucketMs) * bucketMs
          const prev = byWall.get(wall)
          byWall.set(wall, prev === undefined ? watts : Math.max(prev, watts))
        }
      }
      return [...byWall.entries()].sort((a, b) => a[0] - b[0]).map(([wallMs, powerDrawW]) => ({ wallMs, powerDrawW }))
    },

    async minuteRollups (scope: TelemetryScope, fromMs: number, toMs: number): Promise<MinuteRollup[]> {
      const from = Math.ceil(fromMs / MINUTE) * MINUTE
      const series = await minutes(minuteRollupExpr(scope), scope, from, toMs)
      const byMinute = new Map<number, Record<string, number>>()
      for (const s of series) {
        const q = s.metric.q
        if (q === undefined) continue
        for (const [at, v] of s.points) {
          let row = byMinute.get(at)
          if (row === undefined) byMinute.set(at, row = {})
          row[q] = v
        }
      }
      return [...byMinute.entries()]
        .filter(([, r]) => (r.samples ?? 0) > 0)
        .sort((a, b) => a[0] - b[0])
        .map(([minuteAt, r]): MinuteRollup => ({
          minuteAt,
          powerMaxW: r.power_max ?? null,
          powerAvgW: r.power_n ? r.power_sum! / r.power_n : null,
          utilizationAvgPct: r.util_n ? r.util_sum! / r.util_n : null,
          utilizationMaxPct: r.util_max ?? null,
          tempAvgC: r.temp_n ? r.temp_sum! / r.temp_n : null,
          samples: r.samples ?? 0,
        }))
    },

    // VictoriaMetrics deletes by -retentionPeriod; nothing to prune here.
    async prune () {
      return { deleted: 0, more: false }
    },

    async countSamples (filter = {}) {
      const toMs = filter.toMs ?? now() + DAY
      // VictoriaMetrics answers nothing for windows reaching back to the epoch: ten years is "all".
      const fromMs = filter.fromMs ?? toMs - 3650 * DAY
      if (toMs <= fromMs) return 0
      const m = filter.nodeId === undefined ? '' : scopeMatchers({ kind: 'node', nodeId: filter.nodeId })
      const [s] = await client.query(countExpr(m, toMs - fromMs), toMs - 1)
      return s?.points[0]?.[1] ?? 0
    },

    // Rollups are computed from the raw series when read: nothing to rebuild.
    async rebuildRollups () {},

    async gpuHistory (nodeId, gpuId, fromMs, toMs) {
      if (toMs <= fromMs) return []
      const series = await client.query(historyExpr(nodeId, gpuId, toMs - fromMs), toMs - 1)
      return foldHistory(series)
    },

    async compact () {
      return { moved: 0, more: false }
    },
  }
}

/**
 * VictoriaMetrics has no row ids: a row's id is its recorded_at × 256 + gpu_id, unique per
 * node (not across nodes), stable across reads.
 */
function withId (s: GpuSample): StoredGpuSample {
  return { ...s, id: s.recordedAt * 256 + s.gpuId }
}
