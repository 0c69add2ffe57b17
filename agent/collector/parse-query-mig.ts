import { parseNumberCell } from './parse-cell.ts'

/** What `nvidia-smi -q` says about one GPU's MIG state. */
export interface QueriedMigGpu {
  /** `GPU 00000000:00:09.0` */
  pciBusId: string
  uuid: string | null
  migModeCurrent: string | null
  devices: Array<{
    migDeviceIndex: number
    gpuInstanceId: number | null
    computeInstanceId: number | null
    memoryTotalMib: number | null
    memoryUsedMib: number | null
    memoryFreeMib: number | null
  }>
  processes: Array<{ gpuInstanceId: number | null, computeInstanceId: number | null, pid: number }>
}

type Device = QueriedMigGpu['devices'][number]
type Proc = QueriedMigGpu['processes'][number]

// `    Key                                   : value` → [indent, key, value]; a heading has no value.
const ENTRY = /^( *)([^:]+?)\s*(?::\s*(.*?))?\s*$/

const num = (raw: string | undefined): number | null => {
  if (raw === undefined) return null
  const cell = parseNumberCell(raw)
  return cell.ok ? cell.value : null
}

/**
 * `nvidia-smi -q` (590.48.01 layout: 4 spaces per level) → per GPU: MIG mode, the `MIG Device`
 * blocks (Index, GPU/Compute Instance ID, `Shared FB Memory Usage`, which older drivers call
 * `FB Memory Usage`) and the `Processes` entries with their instance ids. Everything else in
 * the report is skipped; N/A values are null.
 */
export function parseQueryMig (text: string): QueriedMigGpu[] {
  const gpus: QueriedMigGpu[] = []
  let gpu: QueriedMigGpu | null = null
  let section = ''
  let sub = ''
  let device: Device | null = null
  let proc: Partial<Proc> = {}

  for (const line of text.split('\n')) {
    const head = /^GPU ([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])\s*$/.exec(line)
    if (head) {
      gpu = { pciBusId: head[1] as string, uuid: null, migModeCurrent: null, devices: [], processes: [] }
      gpus.push(gpu)
      section = sub = ''
      device = null
      continue
    }
    if (gpu === null) continue
    const m = ENTRY.exec(line)
    if (!m || (m[2] ?? '') === '') continue
    const depth = (m[1] as string).length / 4
    const key = m[2] as string
    const value = m[3]
    if (depth === 1) {
      section = key
      sub = ''
      device = null
      if (key === 'MIG Device') {
        device = { migDeviceIndex: -1, gpuInstanceId: null, computeInstanceId: null, memoryTotalMib: null, memoryUsedMib: null, memoryFreeMib: null }
        gpu.devices.push(device)
      } else if (key === 'GPU UUID' && value !== undefined && /^GPU-[0-9A-Fa-f-]+$/.test(value)) {
        gpu.uuid = value
      } else if (key === 'Processes') {
        proc = {}
      }
      continue
    }
    if (depth === 2) sub = key
    if (section === 'MIG Mode' && depth === 2 && key === 'Current') gpu.migModeCurrent = value ?? null
    else if (section === 'MIG Device' && device !== null) {
      if (depth === 2 && key === 'Index') device.migDeviceIndex = num(value) ?? -1
      else if (depth === 2 && key === 'GPU Instance ID') device.gpuInstanceId = num(value)
      else if (depth === 2 && key === 'Compute Instance ID') device.computeInstanceId = num(value)
      else if (depth === 3 && (sub === 'Shared FB Memory Usage' || sub === 'FB Memory Usage')) {
        if (key === 'Total') device.memoryTotalMib = num(value)
        else if (key === 'Used') device.memoryUsedMib = num(value)
        else if (key === 'Free') device.memoryFreeMib = num(value)
      }
    } else if (section === 'Processes' && depth === 2) {
      // Each process: GPU instance ID, Compute instance ID, then Process ID (Type, Name, memory below it).
      if (key === 'GPU instance ID') proc = { gpuInstanceId: num(value) }
      else if (key === 'Compute instance ID') proc.computeInstanceId = num(value)
      else if (key === 'Process ID') {
        const pid = num(value)
        if (pid !== null && Number.isInteger(pid)) gpu.processes.push({ gpuInstanceId: proc.gpuInstanceId ?? null, computeInstanceId: proc.computeInstanceId ?? null, pid })
        proc = {}
      }
    }
  }
  for (const g of gpus) g.devices = g.devices.filter(d => d.migDeviceIndex >= 0)
  return gpus
}
