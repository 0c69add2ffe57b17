import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { PENDING_REASONS, type SchedulerCycle } from '../store/job-repository.ts'

const PREFIX = 'gpufleet_cp_scheduler_'

export interface SchedulerMetrics {
  observe: (cycle: SchedulerCycle) => void
  failed: () => void
}

/**
 * The scheduler's figures on the control plane's registry: cycle duration and outcome, jobs
 * started, and the waiting jobs per typed reason as of the last cycle (all seven reasons are
 * always present, so a reason that empties reads 0 rather than vanishing).
 */
export function createSchedulerMetrics (registry: Registry): SchedulerMetrics {
  const cycles = new Counter({ name: `${PREFIX}cycles_total`, help: 'Scheduler cycles, by outcome (ok, failed).', labelNames: ['outcome'], registers: [registry] })
  const duration = new Histogram({
    name: `${PREFIX}cycle_duration_seconds`,
    help: 'Duration of one scheduling cycle (snapshot, plan, writes, one transaction).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  const started = new Counter({ name: `${PREFIX}jobs_started_total`, help: 'Jobs the scheduler started.', registers: [registry] })
  const waiting = new Gauge({
    name: `${PREFIX}waiting_jobs`,
    help: 'Jobs not running after the last cycle, by typed pending reason.',
    labelNames: ['reason'],
    registers: [registry],
  })
  for (const r of PENDING_REASONS) waiting.set({ reason: r }, 0)
  return {
    observe (c) {
      cycles.inc({ outcome: 'ok' })
      duration.observe(c.durationMs / 1000)
      started.inc(c.started)
      const counts = (c.detail.waiting ?? {}) as Record<string, number>
      for (const r of PENDING_REASONS) waiting.set({ reason: r }, counts[r] ?? 0)
    },
    failed () { cycles.inc({ outcome: 'failed' }) },
  }
}
