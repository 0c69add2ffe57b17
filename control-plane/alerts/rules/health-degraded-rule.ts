import type { FleetNode } from '../../store/fleet-repository.ts'
import type { GpuState } from '../../store/dashboard-repository.ts'
import { gpuHealthProblems, hasHealthReport } from '../../fleet/gpu-health-problems.ts'
import { defineAlertRule, type Findings } from './alert-rule-kind.ts'

/**
 * health_degraded, threshold = °C. Subjects: an offline node (one event for the node, not one
 * per GPU), and a GPU on an online node at or above the threshold (its live temperature
 * reading), with uncorrectable ECC errors in its newest raw sample, or whose agent reported a
 * failed or pending row remap or a recent hardware Xid (gpu-health-problems.ts). A GPU on an
 * offline node, or one that reports none of these, cannot be judged: its open event stays
 * open rather than "resolving" because we lost sight of it.
 */
export function healthBreaches (nodes: readonly FleetNode[], gpus: readonly GpuState[], thresholdC: number, now: number): Findings {
  const out: Findings = { breaches: [], unknown: [] }
  for (const n of nodes) {
    if (n.status !== 'offline') continue
    const seen = n.lastSeenAt === null ? 'never seen' : `last seen ${new Date(n.lastSeenAt).toISOString()}`
    out.breaches.push({ subject: { type: 'node', id: n.id, name: n.hostname }, tenantId: null, message: `Node ${n.hostname} offline (${seen})` })
  }
  for (const g of gpus) {
    const subject = { type: 'gpu' as const, id: g.gpuId, name: `${g.hostname}/${g.gpuIndex}` }
    if (g.nodeStatus === 'offline' || (g.temperatureC === null && g.eccUncorrected === null && !hasHealthReport(g.health))) {
      out.unknown.push(subject)
      continue
    }
    const problems: string[] = []
    if (g.temperatureC !== null && g.temperatureC >= thresholdC) problems.push(`temperature ${g.temperatureC}°C ≥ ${thresholdC}°C`)
    if (g.eccUncorrected !== null && g.eccUncorrected > 0) problems.push(`${g.eccUncorrected} uncorrectable ECC errors`)
    problems.push(...gpuHealthProblems(g.health, now))
    if (problems.length === 0) continue
    out.breaches.push({ subject, tenantId: null, message: `GPU ${subject.name} degraded: ${problems.join('; ')}` })
  }
  return out
}

export const healthDegradedRule = defineAlertRule({
  type: 'health_degraded',
  // GPU temperature in °C; datacenter GPUs throttle around 85–90 and shut down near 100+.
  threshold: { unit: 'celsius', label: '°C', min: 40, max: 120, integer: false },
  defaults: {
    threshold: 85,
    enabled: true,
    description: 'A node is offline, or a GPU on an online node is at threshold degrees C or hotter or reports uncorrectable ECC errors',
  },
  read: async store => {
    const [nodes, gpus] = await Promise.all([store.fleet.listNodes(), store.dashboard.gpuStates()])
    return { nodes, gpus }
  },
  judge: ({ nodes, gpus }, thresholdC, now) => healthBreaches(nodes, gpus, thresholdC, now),
})
