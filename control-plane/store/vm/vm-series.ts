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

/** A node's newest tick as last written: its GPUs, its power sum (null: none), the `part` it went under. */
export interface WrittenTick {
  at: number
  gpus: Set<number>
  sumW: number | null
  part: number
}

/** What one insert sends: JSON lines for /api/v1/import and what it stored, per batch. */
export interface EncodedBatches {
  body: string
  /** Per batch: its rows, each (gpu, recorded_at) once (the first wins, as INSERT OR IGNORE). */
  rows: GpuSample[][]
  /** Per node of these batches: its newest tick once this import is accepted (for `lastTicks` next time). */
  newestTicks: Map<number, WrittenTick>
}

interface Tick {
  nodeId: number
  labels: Record<string, string>
  at: number
  gpus: Set<number>
  sumW: number | null
}

/**
 * The batches as import lines, one line per series. A node's tick power is the sum of its
 * rows at that recorded_at with a power reading, over every batch of this call.
 *
 * A tick can arrive in two pushes (an agent's backlog is cut into pushes by row count). Since
 * VictoriaMetrics keeps one sample per series and millisecond (the smaller on a tie), the whole
 * tick's sum could never replace the first part's: it is written as a new series (`part` label
 * one higher) instead. Reads take the MAX over a node's series (sums only grow), so the whole
 * tick wins. `lastTicks` (each node's newest tick written by this process) is how a push is
 * known to continue one: its first tick at that time, with none of its GPUs. (Another replica,
 * or this one after a restart, does not know: the first part's sum stays.)
 */
export function encodeBatches (batches: readonly SampleBatch[], lastTicks: ReadonlyMap<number, WrittenTick> = new Map()): EncodedBatches {
  const lines = new Map<string, Line>()
  const add = (metric: Record<string, string>, at: number, value: number) => {
    const key = JSON.stringify(metric)
    let line = lines.get(key)
    if (line === undefined) lines.set(key, line = { metric, values: [], timestamps: [] })
    line.values.push(value)
    line.timestamps.push(at)
  }
  const seen = new Set<string>()
  const ticks = new Map<string, Tick>()
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
      const tickKey = `${batch.nodeId}:${s.recordedAt}`
      let tick = ticks.get(tickKey)
      if (tick === undefined) ticks.set(tickKey, tick = { nodeId: batch.nodeId, labels: node, at: s.recordedAt, gpus: new Set(), sumW: null })
      tick.gpus.add(s.gpuId)
      if (s.powerDrawW !== null) tick.sumW = (tick.sumW ?? 0) + s.powerDrawW
    }
    return stored
  })
  const newestTicks = new Map<number, WrittenTick>()
  for (const t of ticks.values()) {
    const prev = lastTicks.get(t.nodeId)
    let written: WrittenTick = { at: t.at, gpus: t.gpus, sumW: t.sumW, part: 0 }
    if (prev !== undefined && prev.at === t.at && [...t.gpus].every(g => !prev.gpus.has(g))) {
      const sumW = prev.sumW === null && t.sumW === null ? null : (prev.sumW ?? 0) + (t.sumW ?? 0)
      written = { at: t.at, gpus: new Set([...prev.gpus, ...t.gpus]), sumW, part: prev.sumW === null ? prev.part : prev.part + 1 }
    }
    if (written.sumW !== null) {
      add({ __name__: NODE_POWER_SERIES, ...t.labels, ...(written.part === 0 ? {} : { part: String(written.part) }) }, t.at, written.sumW)
    }
    const newest = newestTicks.get(t.nodeId) ?? prev
    if (newest === undefined || t.at >= newest.at) newestTicks.set(t.nodeId, written)
  }
  let body = ''
  for (const line of lines.values()) body += JSON.stringify(line) + '\n'
  return { body, rows, newestTicks }
}
