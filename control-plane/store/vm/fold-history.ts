import type { GpuSampleReadings } from '../../../shared/gpu-fields.ts'
import type { VmSeries } from './create-vm-client.ts'
import { SAMPLE_SERIES, VM_FIELDS } from './vm-series.ts'

/** One GPU's readings at one time (as the compressed SQL store's gpuHistory answers). */
export type VmGpuReadingsAt = GpuSampleReadings & { recordedAt: number }

/** historyExpr's raw samples → one row per recorded_at with a stored row, readings null where absent. */
export function foldHistory (series: readonly VmSeries[]): VmGpuReadingsAt[] {
  const bySeries = new Map(VM_FIELDS.map(f => [f.series, f.sample]))
  const rows = new Map<number, Record<string, number | null>>()
  const row = (at: number) => {
    let r = rows.get(at)
    if (r === undefined) {
      r = { recordedAt: at }
      for (const f of VM_FIELDS) r[f.sample] = null
      rows.set(at, r)
    }
    return r
  }
  for (const s of series) {
    if (s.metric.__name__ === SAMPLE_SERIES) for (const [at] of s.points) row(at)
  }
  for (const s of series) {
    const key = bySeries.get(s.metric.__name__ ?? '')
    if (key === undefined) continue
    for (const [at, v] of s.points) {
      const r = rows.get(at)
      if (r !== undefined) r[key] = v
    }
  }
  return [...rows.values()].sort((a, b) => a.recordedAt! - b.recordedAt!) as unknown as VmGpuReadingsAt[]
}
