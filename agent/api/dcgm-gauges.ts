import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import type { XidSummary } from '../collector/create-xid-watch.ts'
import type { GpuReading, MigInstanceReading } from '../collector/snapshot.ts'
import { DCGM_GPU_FIELDS, gpuFieldNumber } from '../../shared/gpu-fields.ts'

type Pick = (gpu: GpuReading, xid: XidSummary | null) => number | null
type Kind = 'gauge' | 'counter'

type PickInstance = (m: MigInstanceReading) => number | null

/**
 * Per MIG device where the value is per instance (dcgm-exporter: one series per GPU instance,
 * with GPU_I_PROFILE and GPU_I_ID after modelName). On a MIG GPU with its devices known, these
 * replace the whole-GPU series, so sum() over a host counts the memory once; the rest (power,
 * temperature, clocks) stay whole-GPU series: nvidia-smi reads them per GPU only.
 */
const PER_INSTANCE: Readonly<Record<string, PickInstance>> = {
  DCGM_FI_DEV_FB_FREE: m => m.memoryFreeMib,
  DCGM_FI_DEV_FB_USED: m => m.memoryUsedMib,
}

/**
 * dcgm-exporter's names, HELP texts (etc/default-counters.csv) and labels, so dashboards and
 * alerts written for dcgm-exporter read these series unchanged: one per row of
 * shared/gpu-fields.ts with a DCGM name (its reading as DCGM's number: `P2` → 2, Yes → 1), and
 * the last Xid. Units are DCGM's, which match nvidia-smi's: MHz, °C, W, %, MiB.
 */
const FIELDS: ReadonlyArray<readonly [name: string, help: string, pick: Pick, kind?: Kind]> = [
  ...DCGM_GPU_FIELDS.map(f => [f.dcgm.name, f.dcgm.help, (g: GpuReading) => gpuFieldNumber(g[f.reading]), 'counter' in f.dcgm ? 'counter' : 'gauge'] as const),
  // From the kernel log: no series until a GPU has had an Xid (dcgm-exporter reports 0 there,
  // which reads as "Xid 0"; an absent series is the honest "none seen").
  ['DCGM_FI_DEV_XID_ERRORS', 'Value of the last XID error encountered.', (_g, xid) => xid?.lastXid ?? null],
]

const LABELS = ['gpu', 'UUID', 'pci_bus_id', 'device', 'modelName', 'GPU_I_PROFILE', 'GPU_I_ID', 'Hostname'] as const

/**
 * Registers one metric per DCGM field, filled at scrape time from `currentGpus()`. A reading
 * that is null (N/A on this GPU or driver) has no series at all: 0 would be a lie that
 * dashboards plot. `currentGpus()` returns [] when the data is stale, for the same reason.
 * Counters carry the driver's running totals as read (prom-client sets them by reset + inc).
 */
export function registerDcgmGauges (registry: Registry, options: {
  hostname: string
  currentGpus: () => readonly GpuReading[]
  xidFor?: (gpu: GpuReading) => XidSummary | null
}): void {
  const { hostname, currentGpus } = options
  const xidFor = options.xidFor ?? (() => null)
  for (const [name, help, pick, kind = 'gauge'] of FIELDS) {
    const perInstance = PER_INSTANCE[name]
    const each = (write: (labels: Record<string, string>, value: number) => void): void => {
      for (const gpu of currentGpus()) {
        const labels = {
          gpu: String(gpu.index),
          UUID: gpu.uuid ?? '',
          pci_bus_id: gpu.pciBusId ?? '',
          device: `nvidia${gpu.index}`,
          modelName: gpu.name ?? '',
        }
        if (perInstance !== undefined && gpu.migMode === 'Enabled' && gpu.migInstances != null) {
          for (const m of gpu.migInstances) {
            const v = perInstance(m)
            if (v === null || m.gpuInstanceId === null) continue
            // Label order as dcgm-exporter prints it: GPU_I_PROFILE, GPU_I_ID, then Hostname.
            write({ ...labels, GPU_I_PROFILE: m.profile ?? '', GPU_I_ID: String(m.gpuInstanceId), Hostname: hostname }, v)
          }
          continue
        }
        const value = pick(gpu, xidFor(gpu))
        if (value !== null) write({ ...labels, Hostname: hostname }, value)
      }
    }
    if (kind === 'counter') {
      new Counter({ name, help, labelNames: LABELS, registers: [registry], collect () { this.reset(); each((l, v) => this.inc(l, v)) } })
    } else {
      new Gauge({ name, help, labelNames: LABELS, registers: [registry], collect () { this.reset(); each((l, v) => this.set(l, v)) } })
    }
  }
}
