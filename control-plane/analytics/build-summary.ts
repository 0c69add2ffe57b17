import { matchRate } from '../match-rate.ts'
import { Charges, dollars } from '../billing/money.ts'
import type { AnalyticsRepository } from '../store/analytics-repository.ts'
import { localDays, type Span } from './local-days.ts'
import { roundTo } from './round-to.ts'

const HOUR = 3_600_000

export type SummaryRepository = Pick<AnalyticsRepository, 'inferenceTotalsBySource' | 'listGpuIntervals' | 'listJobStarts' | 'listRates'>

export interface SummaryQuery {
  tz: string
  since: number
  until: number
  /** Running jobs are metered up to here. */
  now: number
  aliases: ReadonlyMap<string, string>
}

interface Totals {
  inferenceRequests: number
  errors: number
  tokensIn: number
  tokensOut: number
  latencyMsSum: number
  gpuJobs: number
  gpuMs: number
  charges: Charges
}

const zero = (): Totals => ({ inferenceRequests: 0, errors: 0, tokensIn: 0, tokensOut: 0, latencyMsSum: 0, gpuJobs: 0, gpuMs: 0, charges: new Charges() })

function counts (t: Totals) {
  return {
    inference_requests: t.inferenceRequests,
    errors: t.errors,
    tokens_in: t.tokensIn,
    tokens_out: t.tokensOut,
    gpu_jobs: t.gpuJobs,
    gpu_hours: roundTo(t.gpuMs / HOUR, 6),
    cost: dollars(t.charges.cents()),
  }
}

/**
 * Seed 001's per-day summary: every calendar day of [since, until) in `tz`, with exact
 * inference counts and tokens (the store's 15-minute rollups, raw rows for partial buckets)
 * and GPU usage metered per GPU like billing, cut at local midnight. Days without activity
 * are listed with zeros so charts need no gap filling.
 */
export async function buildSummary (repo: SummaryRepository, q: SummaryQuery) {
  const days = localDays(q.tz, q.since, q.until).map(d => ({ date: d.date, spans: d.spans, total: zero(), sources: new Map<string, Totals>() }))
  const spans: Array<Span & { day: number }> = days.flatMap((d, i) => d.spans.map(s => ({ ...s, day: i }))).sort((a, b) => a.start - b.start)
  const bucket = (day: number, source: string | null): Totals[] => {
    const d = days[day]!
    const key = source ?? ''
    let t = d.sources.get(key)
    if (t === undefined) d.sources.set(key, t = zero())
    return [d.total, t]
  }
  const spanAt = (at: number): number => {
    let lo = 0
    let hi = spans.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (spans[mid]!.end <= at) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  for (const span of spans) {
    for (const s of await repo.inferenceTotalsBySource(span.start, span.end)) {
      for (const t of bucket(span.day, s.source)) {
        t.inferenceRequests += s.requests
        t.errors += s.errors
        t.tokensIn += s.tokensIn
        t.tokensOut += s.tokensOut
        t.latencyMsSum += s.latencyMsSum
      }
    }
  }

  const [intervals, starts, rates] = await Promise.all([
    repo.listGpuIntervals(q.since, q.until), repo.listJobStarts(q.since, q.until), repo.listRates(),
  ])
  const horizon = Math.min(q.until, q.now)
  for (const iv of intervals) {
    const a = Math.max(iv.from, q.since)
    const b = Math.min(iv.to ?? horizon, horizon)
    if (!(b > a)) continue
    const rate = matchRate(iv.gpuModel, rates)
    for (let i = spanAt(a); i < spans.length && spans[i]!.start < b; i++) {
      const span = spans[i]!
      const ms = (Math.min(b, span.end) - Math.max(a, span.start)) * iv.gpus
      for (const t of bucket(span.day, iv.hostname)) {
        t.gpuMs += ms
        if (rate !== null) t.charges.add(ms, rate)
      }
    }
  }
  for (const s of starts) {
    const i = spanAt(s.at)
    if (i < spans.length && spans[i]!.start <= s.at) for (const t of bucket(spans[i]!.day, s.hostname)) t.gpuJobs++
  }

  return days.map(d => ({
    date: d.date,
    ...counts(d.total),
    avg_latency_ms: d.total.inferenceRequests === 0 ? null : roundTo(d.total.latencyMsSum / d.total.inferenceRequests, 3),
    by_source: [...d.sources.entries()]
      .sort((x, y) => (x[0] === '' ? 1 : y[0] === '' ? -1 : x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
      .map(([key, t]) => ({ source: key === '' ? null : key, label: key === '' ? null : (q.aliases.get(key) ?? null), ...counts(t) })),
  }))
}

export type SummaryRow = Awaited<ReturnType<typeof buildSummary>>[number]
