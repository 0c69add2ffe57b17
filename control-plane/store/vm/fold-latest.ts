import type { LatestGpuSample } from '../telemetry-repository.ts'
import type { VmSeries } from './create-vm-client.ts'
import { VM_FIELDS } from './vm-series.ts'

/**
 * latestExpr's answer → one row per GPU: its newest row (the identity series with the latest
 * row time), with each reading whose last sample is at that same time (else it was null then).
 */
export function foldLatest (series: readonly VmSeries[]): LatestGpuSample[] {
  const identity = (m: Record<string, string>) => JSON.stringify([m.node_id, m.gpu, m.cluster_id, m.Hostname, m.modelName, m.UUID, m.pci_bus_id])
  const rows = new Map<string, { labels: Record<string, string>, at: number }>()
  const values = new Map<string, Map<string, { v?: number, t?: number }>>()
  for (const s of series) {
    const point = s.points[0]
    if (point === undefined) continue
    const id = identity(s.metric)
    if (s.metric.q === 'at') {
      rows.set(id, { labels: s.metric, at: Math.round(point[1] * 1000) })
      continue
    }
    const field = s.metric.__name__
    if (field === undefined) continue
    let byField = values.get(id)
    if (byField === undefined) values.set(id, byField = new Map())
    let cell = byField.get(field)
    if (cell === undefined) byField.set(field, cell = {})
    if (s.metric.q === 'v') cell.v = point[1]
    else if (s.metric.q === 't') cell.t = Math.round(point[1] * 1000)
  }
  const newest = new Map<string, { id: string, labels: Record<string, string>, at: number }>()
  for (const [id, r] of rows) {
    const gpuKey = `${r.labels.node_id}:${r.labels.gpu}`
    const prev = newest.get(gpuKey)
    if (prev === undefined || r.at > prev.at) newest.set(gpuKey, { id, ...r })
  }
  const out: LatestGpuSample[] = []
  for (const { id, labels, at } of newest.values()) {
    const nodeId = Number(labels.node_id)
    const gpuId = Number(labels.gpu)
    if (!Number.isInteger(nodeId) || !Number.isInteger(gpuId)) continue
    const row: Record<string, unknown> = {
      id: at * 256 + gpuId,
      nodeId,
      clusterId: labels.cluster_id === undefined ? null : Number(labels.cluster_id),
      hostname: labels.Hostname ?? null,
      gpuId,
      recordedAt: at,
      name: labels.modelName ?? '',
      uuid: labels.UUID ?? null,
      pciBusId: labels.pci_bus_id ?? null,
    }
    const byField = values.get(id)
    for (const f of VM_FIELDS) {
      const cell = byField?.get(f.series)
      row[f.sample] = cell !== undefined && cell.t === at && cell.v !== undefined ? cell.v : null
    }
    out.push(row as unknown as LatestGpuSample)
  }
  return out.sort((a, b) => a.nodeId - b.nodeId || a.gpuId - b.gpuId)
}
