import type { AllocatedMinutes, DashboardRepository, HeldGpuUtilization, TenantUtilization } from '../dashboard-repository.ts'
import type { VmClient } from './create-vm-client.ts'
import { gpuKey, gpuMinutes, type GpuMinute } from './vm-gpu-minutes.ts'

type Reads = Pick<DashboardRepository, 'heldGpuUtilization' | 'allocatedMinutes' | 'tenantUtilization'>

/** Runs gpuMinutes once per distinct [fromAt, toAt) among `spans` (most holds share the window's). */
async function minutesBySpan<S extends { nodeId: number, gpuIndex: number, fromAt: number, toAt: number }> (client: VmClient, spans: readonly S[]) {
  const groups = new Map<string, S[]>()
  for (const s of spans) {
    if (s.fromAt >= s.toAt) continue
    const key = `${s.fromAt}:${s.toAt}`
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [s])
    else group.push(s)
  }
  const out = new Map<S, Map<number, GpuMinute>>()
  await Promise.all([...groups.values()].map(async group => {
    const stats = await gpuMinutes(client, group, group[0]!.fromAt, group[0]!.toAt)
    for (const s of group) out.set(s, stats.get(gpuKey(s.nodeId, s.gpuIndex)) ?? new Map())
  }))
  return out
}

/**
 * The dashboard reads that join raw samples with job holds, for telemetry in VictoriaMetrics:
 * the holds from the relational store (`dashboard`), the samples per GPU-minute through
 * MetricsQL, combined as the SQL store's utilization reads combine them.
 */
export function createVmUtilizationReads (client: VmClient, dashboard: DashboardRepository): Reads {
  return {
    async heldGpuUtilization (fromMs, toMs, filter = {}): Promise<HeldGpuUtilization[]> {
      const held = (await dashboard.heldGpus(filter)).map(h => ({ ...h, fromAt: Math.max(h.assignedAt, fromMs), toAt: toMs }))
      const minutes = await minutesBySpan(client, held)
      return held.map(({ fromAt: _f, toAt: _t, ...h }, i) => {
        let samples = 0
        let total = 0
        let busiest: number | null = null
        let unknown = 0
        for (const m of (minutes.get(held[i]!) ?? new Map<number, GpuMinute>()).values()) {
          if (m.rows === 0 && m.n === 0) continue
          if (m.n === 0) { unknown++; continue }
          samples += m.n
          total += m.total
          busiest = busiest === null ? m.total / m.n : Math.max(busiest, m.total / m.n)
        }
        return { ...h, samples, meanPct: samples === 0 ? null : total / samples, busiestMinutePct: busiest, unknownMinutes: unknown }
      })
    },

    async allocatedMinutes (fromMs, toMs, idleBelowPct, graceMs = 0): Promise<AllocatedMinutes> {
      // Each hold's first graceMs left out (a job loading), as the SQL store's: the holds of a
      // window graceMs earlier (fromAt is then max(assigned_at, fromMs − graceMs)), each from graceMs later.
      const holds = (await dashboard.holdsInWindow(fromMs - graceMs, toMs)).map(h => ({ ...h, fromAt: Math.max(h.fromAt + graceMs, fromMs) }))
      const minutes = await minutesBySpan(client, holds)
      let gpuMinutes = 0
      let idleGpuMinutes = 0
      for (const byMinute of minutes.values()) {
        for (const m of byMinute.values()) {
          if (m.n === 0) continue
          gpuMinutes++
          if (m.total / m.n < idleBelowPct) idleGpuMinutes++
        }
      }
      return { gpuMinutes, idleGpuMinutes }
    },

    // GPU time per tenant and model is the holds' (SQL); the mean is over held GPU-minutes, each
    // its samples' mean (the SQL store estimates it from one picked sample per GPU-minute).
    async tenantUtilization (fromMs, toMs, filter = {}): Promise<TenantUtilization[]> {
      const [tenants, spans] = await Promise.all([
        dashboard.tenantUtilization(fromMs, toMs, filter),
        dashboard.holdsInWindow(fromMs, toMs, { tenantId: filter.tenantId, tenantsOnly: true }),
      ])
      const minutes = await minutesBySpan(client, spans)
      const sums = new Map<number, { n: number, total: number }>()
      for (const [span, byMinute] of minutes) {
        let s = sums.get(span.tenantId!)
        if (s === undefined) sums.set(span.tenantId!, s = { n: 0, total: 0 })
        for (const m of byMinute.values()) {
          if (m.n === 0) continue
          s.n++
          s.total += m.total / m.n
        }
      }
      return tenants.map(t => {
        const s = sums.get(t.tenantId)
        return s === undefined || s.n === 0 ? { ...t, samples: 0, meanPct: null } : { ...t, samples: s.n, meanPct: s.total / s.n }
      })
    },
  }
}
