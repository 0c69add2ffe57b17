import { createRoute, z } from '@hono/zod-openapi'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import { errorResponse } from '../../shared/wire/fleet-schemas.ts'
import { iso } from '../fleet/render-fleet.ts'
import { PENDING_REASONS, type PendingReason, type SchedulerCycle } from '../store/job-repository.ts'
import type { Store } from '../store/store.ts'
import { percentile } from './percentile.ts'
import { refuseTenantBound } from './refuse-tenant-bound.ts'
import { allocationQuerySchema, gpuAllocationSchema, logsQuerySchema, schedulerCycleSchema, schedulingMetricsSchema } from '../../shared/wire/scheduling-dashboard-schemas.ts'

export interface SchedulingDashboardDeps {
  store: Store
  requireScope: RequireScope
  now: () => number
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
const denied = { 401: errorResponse('Missing or invalid API key'), 403: errorResponse('Key lacks the scope (FORBIDDEN)') }
const DAY_MS = 24 * 3600_000
const seconds = (ms: number | null): number | null => (ms === null ? null : Math.round(ms) / 1000)

function cycleJson (c: SchedulerCycle) {
  const d = c.detail
  const { waiting, started, changed, ...rest } = d
  return {
    id: c.id,
    started_at: iso(c.startedAt) as string,
    duration_ms: c.durationMs,
    trigger: c.trigger,
    processed: c.processed,
    started: c.started,
    blocked: c.blocked,
    waiting: (waiting ?? {}) as Record<string, number>,
    started_jobs: (started ?? []) as Array<Record<string, unknown>>,
    changes: (changed ?? []) as Array<Record<string, unknown>>,
    detail: rest,
  }
}

/**
 * The scheduler's own views: its cycle log (operators only: it names every tenant's jobs),
 * queue and wait metrics, and the GPU → job map. A tenant-bound key gets the metrics and the
 * map computed over its own tenant's jobs only.
 */
export function createSchedulingDashboardRouter ({ store, requireScope, now }: SchedulingDashboardDeps) {
  const app = createRouter()

  app.openapi(createRoute({
    method: 'get', path: '/api/scheduler/logs', tags: ['scheduler'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'Recent scheduler cycles, newest first (seed 003): what each processed, started, blocked, and why. Not for tenant-bound keys (403).',
    request: { query: logsQuerySchema },
    responses: { 200: json(z.array(schedulerCycleSchema), 'Cycles, newest first'), 400: errorResponse('Invalid limit'), ...denied },
  }), async (c) => {
    refuseTenantBound(c.var.principal, 'read the fleet-wide scheduler log')
    const q = c.req.valid('query')
    const cycles = await store.jobs.listCycles(q.limit === undefined ? 20 : Number(q.limit))
    return c.json(cycles.map(cycleJson), 200)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/dashboard/scheduling-metrics', tags: ['scheduler'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'Queue depth by typed reason, wait times (queued → started, p50/p95 over 24 h, and the oldest current wait), ' +
      '24 h throughput, and the live queue per cluster (seed 003). Held, never-fitting and paused-tenant jobs count in the queue ' +
      'but not in the oldest wait: they wait on a person, not on the scheduler.',
    responses: { 200: json(schedulingMetricsSchema, 'Metrics'), ...denied },
  }), async (c) => {
    const t = now()
    const own = c.var.principal.tenantId
    const [s, last] = await Promise.all([store.jobs.queueStats(t - DAY_MS, own), own === null ? store.jobs.listCycles(1) : Promise.resolve([])])
    const byReason = Object.fromEntries(PENDING_REASONS.map(r => [r, s.byReason[r] ?? 0])) as Record<PendingReason, number>
    const sum = s.waitsMs.reduce((a, b) => a + b, 0)
    const cycle = last[0]
    return c.json({
      generated_at: iso(t) as string,
      window_hours: 24 as const,
      queue_depth: { total: s.queued + s.blocked, queued: s.queued, blocked: s.blocked, by_reason: byReason },
      running_jobs: s.running,
      wait_times: {
        started_jobs: s.waitsMs.length,
        p50_seconds: seconds(percentile(s.waitsMs, 50)),
        p95_seconds: seconds(percentile(s.waitsMs, 95)),
        mean_seconds: s.waitsMs.length === 0 ? null : seconds(sum / s.waitsMs.length),
        max_seconds: seconds(s.waitsMs.at(-1) ?? null),
        oldest_waiting_seconds: s.oldestWaiting === null ? null : seconds(Math.max(0, t - s.oldestWaiting.submittedAt)),
        oldest_waiting_job_id: s.oldestWaiting?.jobId ?? null,
      },
      throughput_24h: {
        submitted: s.submitted,
        started: s.started,
        completed: s.ended.completed,
        failed: s.ended.failed,
        cancelled: s.ended.cancelled,
        completed_per_hour: Math.round((s.ended.completed / 24) * 100) / 100,
      },
      clusters: s.byCluster.map(x => ({
        cluster_id: x.clusterId, cluster_name: x.clusterName, running: x.running, queued: x.queued, blocked: x.blocked,
        waiting_gpus: x.waitingGpus, running_gpus: x.runningGpus,
      })),
      last_cycle: cycle === undefined
        ? null
        : { id: cycle.id, started_at: iso(cycle.startedAt) as string, duration_ms: cycle.durationMs, trigger: cycle.trigger, processed: cycle.processed, started: cycle.started },
    }, 200)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/dashboard/gpu-allocation', tags: ['scheduler'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'GPU-to-job assignment map (seed 003): every GPU with the running job holding it and its live utilization ' +
      '(gpus.utilization_pct). A tenant-bound key sees only the GPUs its own jobs hold.',
    request: { query: allocationQuerySchema },
    responses: { 200: json(gpuAllocationSchema, 'The map'), 400: errorResponse('Invalid cluster_id'), ...denied },
  }), async (c) => {
    const q = c.req.valid('query')
    const own = c.var.principal.tenantId
    const rows = await store.jobs.allocation({ clusterId: q.cluster_id === undefined ? undefined : Number(q.cluster_id), tenantId: own })
    return c.json({
      generated_at: iso(now()) as string,
      total_gpus: rows.length,
      allocated_gpus: rows.filter(r => r.job !== null).length,
      gpus: rows.map(r => ({
        gpu_id: r.gpuId,
        cluster_id: r.clusterId,
        cluster_name: r.clusterName,
        node_id: r.nodeId,
        hostname: r.hostname,
        node_status: r.nodeStatus,
        gpu_index: r.gpuIndex,
        model: r.model,
        status: r.status,
        utilization_pct: r.utilizationPct,
        memory_used_mb: r.memoryUsedMb,
        memory_total_mb: r.memoryTotalMb,
        updated_at: iso(r.updatedAt),
        allocated: r.job !== null,
        job: r.job === null
          ? null
          : { id: r.job.id, name: r.job.name, tenant_id: r.job.tenantId, tenant_name: r.job.tenantName, kind: r.job.kind, assigned_at: iso(r.job.assignedAt) as string },
      })),
    }, 200)
  })

  return app
}
