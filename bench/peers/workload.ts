/**
 * The peers bench's workload, the same samples in two forms: one host's `ticks` seconds as
 * gpufleet's agent batch (POST /api/gpu-stats) and as VictoriaMetrics' JSON-line import
 * (one line per series with its values, dcgm-exporter names and labels). Values vary per host,
 * GPU and second like a busy 8-GPU host; the same arguments always give the same samples, and
 * the same values for the same seconds after `originMs` (so runs that start at different times
 * push alike).
 */
export const GPUS = 8

// The seven gauges: wire name (gpufleet), dcgm-exporter name (VictoriaMetrics), value.
const GAUGES: Array<[string, string, (h: number, g: number, s: number) => number]> = [
  ['power_draw_w', 'DCGM_FI_DEV_POWER_USAGE', (h, g, s) => 600 + ((h * 7 + g * 13 + s * 3) % 400) + 0.5],
  ['temp_c', 'DCGM_FI_DEV_GPU_TEMP', (h, g, s) => 40 + ((h + g + s) % 30)],
  ['memory_used_mb', 'DCGM_FI_DEV_FB_USED', (h, g, s) => 150_000 + ((h * 31 + g * 17 + s) % 30_000)],
  ['utilization_pct', 'DCGM_FI_DEV_GPU_UTIL', (h, g, s) => (h + g * 3 + s) % 101],
  ['memory_temp_c', 'DCGM_FI_DEV_MEMORY_TEMP', (h, g, s) => 45 + ((h + s) % 20)],
  ['sm_clock_mhz', 'DCGM_FI_DEV_SM_CLOCK', (h, g, s) => 1500 + ((h + g + s) % 480)],
  ['memory_utilization_pct', 'DCGM_FI_DEV_MEM_COPY_UTIL', (h, g, s) => (h * 3 + g + s) % 101],
]

const hostname = (h: number) => `peer-node-${h}`
const uuid = (h: number, g: number) => `GPU-${h.toString(16).padStart(8, '0')}-0000-0000-0000-${g.toString().padStart(12, '0')}`
const cluster = (h: number) => `peers-${h % 4}`

export function gpufleetBody (h: number, fromMs: number, ticks: number, originMs = 0): string {
  const gpus: Array<Record<string, unknown>> = []
  for (let k = 0; k < ticks; k++) {
    const at = fromMs + k * 1000
    const s = (at - originMs) / 1000
    const recordedAt = new Date(at).toISOString()
    for (let g = 0; g < GPUS; g++) {
      const row: Record<string, unknown> = { gpu_id: g, name: 'NVIDIA B200', uuid: uuid(h, g), pci_bus_id: `00000000:${(0x18 + g).toString(16)}:00.0`, recorded_at: recordedAt, memory_total_mb: null }
      for (const [wire, , value] of GAUGES) row[wire] = value(h, g, s)
      gpus.push(row)
    }
  }
  return JSON.stringify({ node: { hostname: hostname(h), cluster: cluster(h) }, gpus })
}

export function vmBody (h: number, fromMs: number, ticks: number, originMs = 0): string {
  const lines: string[] = []
  const timestamps = Array.from({ length: ticks }, (_, k) => fromMs + k * 1000)
  for (let g = 0; g < GPUS; g++) {
    for (const [, name, value] of GAUGES) {
      lines.push(JSON.stringify({
        metric: { __name__: name, Hostname: hostname(h), gpu: String(g), UUID: uuid(h, g), modelName: 'NVIDIA B200', cluster: cluster(h) },
        values: timestamps.map(t => value(h, g, (t - originMs) / 1000)),
        timestamps,
      }))
    }
  }
  return lines.join('\n') + '\n'
}
