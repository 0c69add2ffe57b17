import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import type { XidSummary } from '../collector/create-xid-watch.ts'
import type { GpuReading, MigInstanceReading } from '../collector/snapshot.ts'

type Pick = (gpu: GpuReading, xid: XidSummary | null) => number | null
type Kind = 'gauge' | 'counter'

const flag = (b: boolean | null): number | null => (b === null ? null : b ? 1 : 0)
/** `P0` → 0 … `P15` → 15, as DCGM_FI_DEV_PSTATE reports it. */
const pstateNumber = (p: string | null): number | null => (p === null ? null : Number(p.slice(1)))

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
 * alerts written for dcgm-exporter read these series unchanged. Units are DCGM's, which
 * match nvidia-smi's: MHz, °C, W, %, MiB.
 */
const FIELDS: ReadonlyArray<readonly [name: string, help: string, pick: Pick, kind?: Kind]> = [
  ['DCGM_FI_DEV_SM_CLOCK', 'SM clock frequency (in MHz).', g => g.smClockMhz],
  ['DCGM_FI_DEV_MEM_CLOCK', 'Memory clock frequency (in MHz).', g => g.memClockMhz],
  ['DCGM_FI_DEV_MEMORY_TEMP', 'Memory temperature (in C).', g => g.temperatureMemoryC],
  ['DCGM_FI_DEV_GPU_TEMP', 'GPU temperature (in C).', g => g.temperatureGpuC],
  // DCGM's POWER_USAGE is the driver's averaged reading (nvidia-smi power.draw on Ampere+);
  // the instantaneous one has its own field.
  ['DCGM_FI_DEV_POWER_USAGE', 'Power draw (in W).', g => g.powerDrawAverageW],
  ['DCGM_FI_DEV_POWER_USAGE_INSTANT', 'Current instantaneous power usage of the device (in W).', g => g.powerDrawInstantW],
  ['DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).', g => g.utilizationGpuPct],
  // nvidia-smi utilization.memory: time the memory controller was busy, as DCGM's MEM_COPY_UTIL.
  ['DCGM_FI_DEV_MEM_COPY_UTIL', 'Memory utilization (in %).', g => g.utilizationMemoryPct],
  ['DCGM_FI_DEV_FB_FREE', 'Framebuffer memory free (in MiB).', g => g.memoryFreeMib],
  ['DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).', g => g.memoryUsedMib],
  ['DCGM_FI_DEV_FB_RESERVED', 'Framebuffer memory reserved (in MiB).', g => g.memoryReservedMib],
  // Health. HELP texts are DCGM's field descriptions; the counters are DCGM's counters.
  ['DCGM_FI_DEV_POWER_MGMT_LIMIT', 'Power management limit (in W).', g => g.powerLimitW],
  ['DCGM_FI_DEV_PSTATE', 'Performance state (P-State) 0-15. 0=highest.', g => pstateNumber(g.pstate)],
  ['DCGM_FI_DEV_CLOCKS_EVENT_REASONS', 'Current clock event reasons (bitmask of DCGM_CLOCKS_EVENT_REASON_*).', g => g.clocksEventReasons],
  ['DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', 'Total number of single-bit volatile ECC errors.', g => g.eccCorrectedVolatile, 'counter'],
  ['DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 'Total number of double-bit volatile ECC errors.', g => g.eccUncorrectedVolatile, 'counter'],
  ['DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', 'Number of remapped rows for correctable errors', g => g.remappedRowsCorrectable, 'counter'],
  ['DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', 'Number of remapped rows for uncorrectable errors', g => g.remappedRowsUncorrectable, 'counter'],
  ['DCGM_FI_DEV_ROW_REMAP_FAILURE', 'Whether remapping of rows has failed', g => flag(g.remappedRowsFailure)],
  ['DCGM_FI_DEV_ROW_REMAP_PENDING', 'Whether remapping of rows is pending', g => flag(g.remappedRowsPending)],
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
