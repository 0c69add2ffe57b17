import type { SlurmJobRecord } from '../store/slurm-repository.ts'
import { localDays } from '../analytics/local-days.ts'

export interface SlurmGroup {
  key: string
  jobs: number
  gpu_jobs: number
  gpu_seconds: number
  gpu_hours: number
}

export interface SlurmDay {
  date: string
  jobs: number
  gpu_jobs: number
  gpu_seconds: number
  gpu_hours: number
}

export interface SlurmReport {
  totals: Omit<SlurmGroup, 'key'>
  by_state: SlurmGroup[]
  by_user: SlurmGroup[]
  by_account: SlurmGroup[]
  by_partition: SlurmGroup[]
  by_cluster: SlurmGroup[]
  rows: SlurmDay[]
}

const hours = (gpuMs: number): number => Math.round(gpuMs / 3_600_000 * 10_000) / 10_000

/**
 * Job counts and GPU-hours of [since, until) by calendar day in `tz` (DST-correct, as the
 * gateway summary cuts them). A job counts on the day it started (a job that never started: the
 * day it was submitted) and only when that day is in the window; its GPU time is allocated
 * `gres/gpu` × its run [start, end) cut to the window and at local midnight. A running job's
 * run ends where the last import saw it. GPU-seconds are exact (Slurm's times are whole
 * seconds); GPU-hours are rounded to 4 places for display. No cost: Slurm has no price.
 */
export function buildSlurmReport (jobs: readonly SlurmJobRecord[], opts: { tz: string, since: number, until: number }): SlurmReport {
  const { tz, since, until } = opts
  const days = localDays(tz, since, until)
  const rows = days.map(d => ({ date: d.date, jobs: 0, gpu_jobs: 0, gpu_ms: 0 }))
  const groups = { state: new Map<string, GroupAcc>(), user: new Map<string, GroupAcc>(), account: new Map<string, GroupAcc>(),
    partition: new Map<string, GroupAcc>(), cluster: new Map<string, GroupAcc>() }
  const total: GroupAcc = { jobs: 0, gpuJobs: 0, gpuMs: 0 }
  // Every day's spans in time order, so a job finds its first day by binary search (a 400-day
  // window × many jobs stays linear in the days each job actually touches).
  const spans = days.flatMap((d, i) => d.spans.map(s => ({ ...s, day: i }))).sort((a, b) => a.start - b.start)
  const firstEndingAfter = (t: number): number => {
    let lo = 0
    let hi = spans.length
    while (lo < hi) { const mid = (lo + hi) >> 1; if (spans[mid]!.end <= t) lo = mid + 1; else hi = mid }
    return lo
  }
  for (const job of jobs) {
    const anchor = job.startedAt ?? job.submittedAt ?? job.observedAt
    const counted = anchor >= since && anchor < until
    let gpuMs = 0
    if (job.gpus > 0 && job.startedAt !== null) {
      const end = job.endedAt ?? Math.max(job.startedAt, job.observedAt)
      for (let i = firstEndingAfter(job.startedAt); i < spans.length && spans[i]!.start < end; i++) {
        const span = spans[i]!
        const ms = Math.max(0, Math.min(end, span.end) - Math.max(job.startedAt, span.start))
        if (ms > 0) { rows[span.day]!.gpu_ms += ms * job.gpus; gpuMs += ms * job.gpus }
      }
    }
    if (counted) {
      const span = spans[firstEndingAfter(anchor)]
      if (span !== undefined && anchor >= span.start) { rows[span.day]!.jobs++; if (job.gpus > 0) rows[span.day]!.gpu_jobs++ }
    }
    if (!counted && gpuMs === 0) continue
    const add = (acc: GroupAcc) => { if (counted) { acc.jobs++; if (job.gpus > 0) acc.gpuJobs++ } acc.gpuMs += gpuMs }
    add(total)
    add(acc(groups.state, job.state))
    add(acc(groups.user, job.user ?? ''))
    add(acc(groups.account, job.account ?? ''))
    add(acc(groups.partition, job.partition ?? ''))
    add(acc(groups.cluster, job.cluster))
  }
  return {
    totals: render(total),
    by_state: list(groups.state),
    by_user: list(groups.user),
    by_account: list(groups.account),
    by_partition: list(groups.partition),
    by_cluster: list(groups.cluster),
    rows: rows.map(r => ({ date: r.date, jobs: r.jobs, gpu_jobs: r.gpu_jobs, gpu_seconds: Math.round(r.gpu_ms / 1000), gpu_hours: hours(r.gpu_ms) })),
  }
}

interface GroupAcc { jobs: number, gpuJobs: number, gpuMs: number }

function acc (m: Map<string, GroupAcc>, key: string): GroupAcc {
  let a = m.get(key)
  if (a === undefined) m.set(key, a = { jobs: 0, gpuJobs: 0, gpuMs: 0 })
  return a
}

function render (a: GroupAcc): Omit<SlurmGroup, 'key'> {
  return { jobs: a.jobs, gpu_jobs: a.gpuJobs, gpu_seconds: Math.round(a.gpuMs / 1000), gpu_hours: hours(a.gpuMs) }
}

/** Largest GPU time first, then most jobs, then by key: a stable order for the page and tests. */
function list (m: Map<string, GroupAcc>): SlurmGroup[] {
  return [...m.entries()].map(([key, a]) => ({ key, ...render(a) }))
    .sort((x, y) => y.gpu_seconds - x.gpu_seconds || y.jobs - x.jobs || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
}
