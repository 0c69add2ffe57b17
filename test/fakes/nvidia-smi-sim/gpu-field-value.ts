import type { LiveGpu } from './sim-host.ts'

export interface GpuFieldContext {
  gpu: LiveGpu
  gpuCount: number
  driverVersion: string
  timestamp: string
}

/** 13 digits like a real board serial. */
export const boardSerial = (gpu: { index: number, serial?: string }): string => gpu.serial ?? `1652${String(gpu.index).padStart(9, '0')}`

/** Watts always print with two decimals (`77.71 W`, `700.00 W`); the rest are integers. */
const watts = (w: number): string => w.toFixed(2)
const int = (n: number): string => String(Math.round(n))
const hex2 = (s: string | undefined): string => `0x${(s ?? '00').toUpperCase()}`

/**
 * Unitless text of one modeled --query-gpu field (canonical name), or undefined for a field
 * the simulator does not model (the caller prints the captured sample instead).
 */
export function gpuFieldValue (field: string, ctx: GpuFieldContext): string | undefined {
  const { gpu } = ctx
  const [domain, bus, devFn] = gpu.pciBusId.split(':')
  switch (field) {
    case 'timestamp': return ctx.timestamp
    case 'driver_version': return ctx.driverVersion
    case 'count': return String(ctx.gpuCount)
    case 'name': return gpu.name
    case 'serial': return boardSerial(gpu)
    case 'uuid': return gpu.uuid
    case 'pci.bus_id': return gpu.pciBusId
    case 'pci.domain': return `0x${(domain ?? '0000').slice(-4).toUpperCase()}`
    case 'pci.bus': return hex2(bus)
    case 'pci.device': return hex2(devFn?.split('.')[0])
    case 'index': return String(gpu.index)
    case 'pstate': return gpu.pstate
    case 'compute_cap': return /B200|B100|GB200/.test(gpu.name) ? '10.0' : '9.0'
    case 'memory.total': return int(gpu.memoryTotalMib)
    case 'memory.reserved': return int(gpu.memoryReservedMib)
    case 'memory.used': return int(gpu.memoryUsedMib)
    case 'memory.free': return int(gpu.memoryFreeMib)
    case 'utilization.gpu': return int(gpu.utilizationGpu)
    case 'utilization.memory': return int(gpu.utilizationMemory)
    case 'ecc.errors.corrected.volatile.total':
    case 'ecc.errors.corrected.aggregate.total': return int(gpu.eccCorrected)
    case 'ecc.errors.uncorrected.volatile.total':
    case 'ecc.errors.uncorrected.aggregate.total': return int(gpu.eccUncorrected)
    case 'temperature.gpu': return int(gpu.temperatureGpu)
    case 'temperature.memory': return int(gpu.temperatureMemory)
    // Ampere and newer report power.draw as the 1 s average, the same reading as .average.
    case 'power.draw':
    case 'power.draw.average': return watts(gpu.powerDraw)
    case 'power.draw.instant': return watts(gpu.powerDrawInstant)
    case 'power.limit':
    case 'enforced.power.limit':
    case 'power.default_limit':
    case 'power.max_limit': return watts(gpu.powerLimit)
    case 'clocks.current.graphics':
    case 'clocks.current.sm': return int(gpu.smClock)
    case 'clocks.current.memory':
    case 'clocks.max.memory': return int(gpu.memClock)
    default: return undefined
  }
}

/** `2026/07/03 22:10:46.109`: local time, as the real CLI prints it. */
export function formatTimestamp (date: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${date.getFullYear()}/${p(date.getMonth() + 1)}/${p(date.getDate())} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds(), 3)}`
}
