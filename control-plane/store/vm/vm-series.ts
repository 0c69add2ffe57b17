import { WIRE_GPU_FIELDS, type GpuSampleKey } from '../../../shared/gpu-fields.ts'
import type { GpuSample, SampleBatch } from '../telemetry-repository.ts'

/**
 * How gpufleet's samples are named in VictoriaMetrics: each stored reading of
 * shared/gpu-fields.ts as its dcgm-exporter series, labelled as dcgm-exporter labels a GPU
 * (gpu, UUID, pci_bus_id, modelName, Hostname) plus where gpufleet placed it (node_id,
 * cluster_id, and the agent's cluster and region names where it sent them). Two series are
 * gpufleet's own: one sample per stored row (its presence, for latest and sample counts) and
 * each node's power per tick (seed 000's per-recorded_at sum, what power history is made of).
 */
export const SAMPLE_SERIES = 'gpufleet_gpu_sample'
export const NODE_POWER_SERIES = 'gpufleet_node_power_watts'

// memory_total_mb has no dcgm-exporter default counter; DCGM names the field FB_TOTAL.
const EXTRA_NAMES: Record<string, string> = { memory_total_mb: 'DCGM_FI_DEV_FB_TOTAL' }

/** Stored reading → series name, in table order. */
export const VM_FIELDS: ReadonlyArray<{ sample: GpuSampleKey, wire: string, series: string }> = WIRE_GPU_FIELDS.map(f => {
  const series = 'dcgm' in f ? f.dcgm.name : EXTRA_NAMES[f.wire]
  if (series === undefined) throw new Error(`vm-series: no series name for ${f.wire}`)
  return { sample: f.sample, wire: f.wire, series }
})

export const seriesFor = (sample: GpuSampleKey): string => VM_FIELDS.find(f => f.sample === sample)!.series

interface Line {
  metric: Record<string, string>
  values: number[]
  timestamps: number[]
}

function nodeLabels (batch: SampleBatch): Record<string, string> {
  const labels: Record<string, string> = { node_id: String(batch.nodeId) }
  if (batch.clusterId !== null) labels.cluster_id = String(batch.clusterId)
  if (batch.hostname != null && batch.hostname !== '') labels.Hostname = batch.hostname
  if (batch.cluster != null && batch.cluster !== '') labels.cluster = batch.cluster
  if (batch.region != null && batch.region !== '') labels.region = batch.region
  return labels
}

function gpuLabels (node: Record<string, string>, s: GpuSample): Record<string, string> {
  const labels: Record<string, string> = { ...node, gpu: String(s.gpuId), modelName: s.name }
  if (s.uuid !== null && s.uuid !== '') labels.UUID = s.uuid
  if (s.pciBusId !== null && s.pciBusId !== '') labels.pci_bus_id = s.pciBusId
  return labels
}

/** What one insert sends: JSON lines for /api/v1/import and what it stored, per batch. */
export interface EncodedBatches {
  body: string
  /** Per batch: its rows, each (gpu, recorded_at) once (the first wins, as INSERT OR IGNORE). */
  rows: GpuSample[][]
}

/**
 * The batches as import lines, one line per series. A node's tick power is the sum of its
 * rows at that recorded_at with a power reading, over every batch of this call. (A tick whose
 * rows arrive in two calls keeps the first call's sum: VictoriaMetrics keeps one sample per
 * series and millisecond. Agents send a tick's rows in one push.)
 */
export function encodeBatches (batches: readonly SampleBatch[]): EncodedBatches {
  const lines = new Map<string, Line>()
  const add = (metric: Record<string, string>, at: number, value: number) => {
    const key = JSON.stringify(metric)
    let line = lines.get(key)
    if (line === undefined) lines.set(key, line = { metric, values: [], timestamps: [] })
    line.values.push(value)
    line.timestamps.push(at)
  }
  const seen = new Set<string>()
  const ticks = new Map<string, { labels: Record<string, string>, at: number, sumW: number }>()
  const rows = batches.map(batch => {
    const node = nodeLabels(batch)
    const stored: GpuSample[] = []
    for (const s of batch.samples) {
      const key = `${batch.nodeId}:${s.gpuId}:${s.recordedAt}`
      if (seen.has(key)) continue
      seen.add(key)
      stored.push(s)
      const labels = gpuLabels(node, s)
      add({ __name__: SAMPLE_SERIES, ...labels }, s.recordedAt, 1)
      for (const f of VM_FIELDS) {
        const v = s[f.sample]
        if (v !== null) add({ __name__: f.series, ...labels }, s.recordedAt, v)
      }
      if (s.powerDrawW !== null) {
        const tickKey = `${JSON.stringify(node)}:${s.recordedAt}`
        const tick = ticks.get(tickKey)
        if (tick === undefined) ticks.set(tickKey, { labels: node, at: s.recordedAt, sumW: s.powerDrawW })
        else tick.sumW += s.powerDrawW
      }
    }
    return stored
  })
  for (const t of ticks.values()) add({ __name__: NODE_POWER_SERIES, ...t.labels }, t.at, t.sumW)
  let body = ''
  for (const line of lines.values()) body += JSON.stringify(line) + '\n'
  return { body, rows }
}
