import { Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import type { GpuReading, MigInstanceReading } from '../collector/snapshot.ts'

/**
 * dcgm-exporter's names, HELP texts (etc/default-counters.csv) and labels, so dashboards and
 * alerts written for dcgm-exporter read these series unchanged. Units are DCGM's, which
 * match nvidia-smi's: MHz, °C, W, %, MiB.
 */
type Pick = (gpu: GpuReading) => number | null
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

const FIELDS: ReadonlyArray<readonly [name: string, help: string, pick: Pick]> = [
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
]

const LABELS = ['gpu', 'UUID', 'pci_bus_id', 'device', 'modelName', 'GPU_I_PROFILE', 'GPU_I_ID', 'Hostname'] as const

/**
 * Registers one gauge per DCGM field, filled at scrape time from `currentGpus()`. A reading
 * that is null (N/A on this GPU or driver) has no series at all: 0 would be a lie that
 * dashboards plot. `currentGpus()` returns [] when the data is stale, for the same reason.
 */
export function registerDcgmGauges (registry: Registry, options: { hostname: string, currentGpus: () => readonly GpuReading[] }): void {
  const { hostname, currentGpus } = options
  for (const [name, help, pick] of FIELDS) {
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      collect () {
        this.reset()
        const perInstance = PER_INSTANCE[name]
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
              this.set({ ...labels, GPU_I_PROFILE: m.profile ?? '', GPU_I_ID: String(m.gpuInstanceId), Hostname: hostname }, v)
            }
            continue
          }
          const value = pick(gpu)
          if (value === null) continue
          this.set({ ...labels, Hostname: hostname }, value)
        }
      },
    })
  }
}
