import { gpuReadingJson, migInstanceJson } from '../fleet/render-fleet.ts'
import type { Cluster, FleetNode } from '../store/fleet-repository.ts'
import type { GpuState, JobCounts, JobSummary } from '../store/dashboard-repository.ts'
import { DASHBOARD_DEFINITIONS as D } from './dashboard-definitions.ts'
import { round1 } from './usage-cost.ts'

export interface OverviewInputs {
  now: number
  clusters: readonly Cluster[]
  nodes: readonly FleetNode[]
  gpus: readonly GpuState[]
  jobs: JobCounts
  recentJobs: readonly JobSummary[]
  activeAlerts: number
  staleAfterMs: number
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())
const mean = (xs: number[]): number | null => (xs.length === 0 ? null : round1(xs.reduce((a, b) => a + b, 0) / xs.length))

function groupBy<T> (xs: readonly T[], key: (x: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>()
  for (const x of xs) {
    const list = out.get(key(x))
    if (list === undefined) out.set(key(x), [x])
    else list.push(x)
  }
  return out
}

export function jobJson (j: JobSummary) {
  return {
    id: j.id,
    name: j.name,
    status: j.status,
    tenant_id: j.tenantId,
    tenant_name: j.tenantName,
    cluster_id: j.clusterId,
    gpu_count: j.gpuCount,
    gpu_type: j.gpuType,
    priority: j.priority,
    pending_reason: j.pendingReason,
    block_reason: j.blockReason,
    submitted_at: iso(j.submittedAt),
    started_at: iso(j.startedAt),
    ended_at: iso(j.endedAt),
  }
}

/**
 * GET /api/dashboard: the topology (clusters → nodes → GPUs with their live readings, newest
 * ECC count and holder), a summary, and the newest jobs. Averages and the power total are over
 * GPUs on online nodes with a fresh reading (a stale number is not a current one).
 */
export function renderOverview (k: OverviewInputs) {
  const fresh = (g: GpuState): boolean => g.nodeStatus === 'online' && g.updatedAt !== null && g.updatedAt >= k.now - k.staleAfterMs
  const live = k.gpus.filter(fresh)
  const nums = (pick: (g: GpuState) => number | null): number[] => live.map(pick).filter((x): x is number => x !== null)
  const gpuJson = (g: GpuState) => ({
    id: g.gpuId,
    gpu_index: g.gpuIndex,
    model: g.model,
    status: g.status,
    ...gpuReadingJson(g),
    ecc_errors_uncorrected: g.eccUncorrected,
    updated_at: iso(g.updatedAt),
    fresh: fresh(g),
    job_id: g.jobId,
    tenant_id: g.tenantId,
    mig_mode: g.migMode ?? null,
    mig_instances: g.migInstances == null ? null : g.migInstances.map(migInstanceJson),
  })
  const online = k.nodes.filter(n => n.status === 'online').length
  const byNode = groupBy(k.gpus, g => g.nodeId)
  const byCluster = groupBy(k.nodes, n => n.clusterId)
  return {
    generated_at: iso(k.now) as string,
    summary: {
      clusters: k.clusters.length,
      nodes: k.nodes.length,
      nodes_online: online,
      nodes_offline: k.nodes.length - online,
      gpus: k.gpus.length,
      gpus_active: live.filter(g => g.utilizationPct !== null && g.utilizationPct > D.activeAbovePct).length,
      gpus_allocated: k.gpus.filter(g => g.jobId !== null).length,
      gpus_stale: k.gpus.length - live.length,
      avg_utilization_pct: mean(nums(g => g.utilizationPct)),
      avg_temperature_c: mean(nums(g => g.temperatureC)),
      power_draw_w: round1(nums(g => g.powerDrawW).reduce((a, b) => a + b, 0)),
      jobs: { running: k.jobs.running, queued: k.jobs.queued, blocked: k.jobs.blocked },
      active_alerts: k.activeAlerts,
    },
    clusters: k.clusters.map(c => ({
      id: c.id,
      name: c.name,
      region: c.region,
      status: c.status,
      nodes: (byCluster.get(c.id) ?? []).map(n => ({
        id: n.id,
        hostname: n.hostname,
        status: n.status,
        last_seen_at: iso(n.lastSeenAt),
        total_gpus: n.totalGpus,
        drained_at: iso(n.drainedAt),
        gpus: (byNode.get(n.id) ?? []).map(gpuJson),
      })),
    })),
    recent_jobs: k.recentJobs.map(jobJson),
  }
}
