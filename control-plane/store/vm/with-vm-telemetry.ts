import type { Store } from '../store.ts'
import type { DashboardRepository } from '../dashboard-repository.ts'
import type { TelemetryRepository } from '../telemetry-repository.ts'
import type { VmClient } from './create-vm-client.ts'
import { createVmUtilizationReads } from './vm-utilization-reads.ts'
import { createVmGpuHistoryRepository } from './vm-gpu-history-repository.ts'

/**
 * The relational store with telemetry in VictoriaMetrics: `telemetry` is the VictoriaMetrics
 * repository, and the dashboard reads that joined the SQL telemetry tables read it instead:
 * - gpuStates: the newest sample's time and ECC count from VictoriaMetrics' latest;
 * - heldGpuUtilization, allocatedMinutes, tenantUtilization (KPIs, leakage, the idle-GPU
 *   alert): the holds from SQL, their GPUs' samples per minute through MetricsQL;
 * - gpuHistory (per-GPU history): each range's buckets through MetricsQL, the loop's writes no-ops.
 * `now`: the clock gpuHistory.gpuIds looks back from.
 */
export function withVmTelemetry (store: Store, telemetry: TelemetryRepository, client: VmClient, now: () => number = Date.now): Store {
  const dashboard: DashboardRepository = {
    ...store.dashboard,
    ...createVmUtilizationReads(client, store.dashboard),
    async gpuStates () {
      const [states, latest] = await Promise.all([store.dashboard.gpuStates(), telemetry.latest()])
      const byGpu = new Map(latest.map(s => [`${s.nodeId}:${s.gpuId}`, s]))
      return states.map(g => {
        const s = byGpu.get(`${g.nodeId}:${g.gpuIndex}`)
        return { ...g, sampleAt: s?.recordedAt ?? null, eccUncorrected: s?.eccErrorsUncorrected ?? null }
      })
    },
  }
  return { ...store, telemetry, dashboard, gpuHistory: createVmGpuHistoryRepository({ client, now }) }
}
