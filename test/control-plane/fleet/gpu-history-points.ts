import type { GpuSample } from '../../../control-plane/store/telemetry-repository.ts'
import { sample } from '../store/telemetry-repository-suite.ts'

/** GPU history route tests (SQL and VictoriaMetrics): one GPU's readings, and the points the API should render from them. */
export function reading (gpuId: number, at: number): GpuSample {
  const k = at / 10_000 + gpuId * 5
  return sample(gpuId, at, 200 + (k * 13) % 500, { utilizationPct: (k * 7) % 101, tempC: 40 + (k * 3) % 50, memoryUsedMb: 100 * (k % 700), memoryTotalMb: 81_920 })
}

/** Averages and maxima of the rows of one GPU in [from, to), as the API renders them. */
export function point (rows: readonly GpuSample[], gpuId: number, from: number, to: number, at = from) {
  const r = rows.filter(s => s.gpuId === gpuId && s.recordedAt >= from && s.recordedAt < to)
  const avg = (f: (s: GpuSample) => number) => Math.round(r.reduce((a, s) => a + f(s), 0) / r.length * 1000) / 1000
  const max = (f: (s: GpuSample) => number) => Math.max(...r.map(f))
  return {
    at: new Date(at).toISOString(),
    samples: r.length,
    utilization_avg_pct: avg(s => s.utilizationPct!),
    utilization_max_pct: max(s => s.utilizationPct!),
    temp_avg_c: avg(s => s.tempC!),
    temp_max_c: max(s => s.tempC!),
    memory_used_avg_mb: avg(s => s.memoryUsedMb!),
    memory_used_max_mb: max(s => s.memoryUsedMb!),
    memory_total_mb: 81_920,
    power_avg_w: avg(s => s.powerDrawW!),
    power_max_w: max(s => s.powerDrawW!),
  }
}
