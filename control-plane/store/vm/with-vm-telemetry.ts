import type { Store } from '../store.ts'
import type { DashboardRepository } from '../dashboard-repository.ts'
import type { TelemetryRepository } from '../telemetry-repository.ts'
import { httpError } from '../../../shared/error-codes.ts'

/**
 * The relational store with telemetry in VictoriaMetrics: `telemetry` is the VictoriaMetrics
 * repository, and the dashboard reads that joined the SQL telemetry tables change with it:
 * - gpuStates: the newest sample's time and ECC count come from VictoriaMetrics' latest;
 * - heldGpuUtilization, allocatedMinutes, tenantUtilization (KPIs, leakage, the idle-GPU
 *   alert) join raw samples with job holds in SQL; they are not answered over MetricsQL yet
 *   and refuse with 501 TELEMETRY_ENGINE_UNSUPPORTED instead of answering as if no GPU had
 *   reported (docs/victoriametrics.md).
 */
export function withVmTelemetry (store: Store, telemetry: TelemetryRepository): Store {
  const dashboard: DashboardRepository = {
    ...store.dashboard,
    async gpuStates () {
      const [states, latest] = await Promise.all([store.dashboard.gpuStates(), telemetry.latest()])
      const byGpu = new Map(latest.map(s => [`${s.nodeId}:${s.gpuId}`, s]))
      return states.map(g => {
        const s = byGpu.get(`${g.nodeId}:${g.gpuIndex}`)
        return { ...g, sampleAt: s?.recordedAt ?? null, eccUncorrected: s?.eccErrorsUncorrected ?? null }
      })
    },
    heldGpuUtilization: () => unsupported('held GPUs\' utilization (KPIs, leakage, the idle-GPU alert)'),
    allocatedMinutes: () => unsupported('allocated GPU-minutes (KPIs)'),
    tenantUtilization: () => unsupported('tenant utilization (leakage)'),
  }
  return { ...store, telemetry, dashboard }
}

async function unsupported (what: string): Promise<never> {
  throw httpError('TELEMETRY_ENGINE_UNSUPPORTED', `${what}: not available with --telemetry vm= (see docs/victoriametrics.md)`)
}
