import type { GpuReading, MissingGpu, Snapshot } from '../collector/snapshot.ts'

/** A GPU's faults on the wire (snake_case like every agent answer). */
export function faultsWire (gpu: GpuReading) {
  return (gpu.faults ?? []).map(f => ({ field: f.field, raw: f.raw, reason: f.reason }))
}

/** The GPUs a snapshot lacks, on the wire. */
export function missingGpusWire (snapshot: Snapshot) {
  return (snapshot.missing ?? []).map((m: MissingGpu) => ({
    index: m.index,
    uuid: m.uuid,
    pci_bus_id: m.pciBusId,
    name: m.name,
    reason: m.reason,
    since: new Date(m.since).toISOString(),
  }))
}

/** One line per missing GPU and per faulty value, for /healthz `reasons`. */
export function gpuHealthReasons (snapshot: Snapshot): string[] {
  const reasons: string[] = []
  for (const m of snapshot.missing ?? []) {
    const who = m.index === null ? `GPU at ${m.pciBusId ?? '?'}` : `GPU ${m.index}${m.uuid ? ` (${m.uuid})` : ''}`
    reasons.push(`${who} missing: ${m.reason}`)
  }
  for (const gpu of snapshot.gpus) {
    for (const f of gpu.faults ?? []) reasons.push(`GPU ${gpu.index}${gpu.uuid ? ` (${gpu.uuid})` : ''} fault: ${f.field}: ${f.reason}`)
  }
  return reasons
}
