import type { SimMigInstance, SimProcess } from '../sim-state.ts'
import type { LiveGpu } from './sim-host.ts'

export interface LiveMigInstance extends SimMigInstance {
  migDeviceIndex: number
  memoryUsedMib: number
  memoryFreeMib: number
}

/**
 * A MIG GPU's devices at one instant, numbered as -L and -q number them (MIG Dev 0.. in the
 * listed order): used = base + the processes running in that GPU instance.
 */
export function liveMigInstances (gpu: LiveGpu, processes: readonly SimProcess[]): LiveMigInstance[] {
  return (gpu.mig?.instances ?? []).map((m, i) => {
    const used = m.memoryBaseUsedMib + processes
      .filter(p => p.gpuIndex === gpu.index && p.gpuInstanceId === m.gpuInstanceId)
      .reduce((sum, p) => sum + p.usedMemoryMib, 0)
    return { ...m, migDeviceIndex: i, memoryUsedMib: used, memoryFreeMib: Math.max(0, m.memoryTotalMib - used) }
  })
}
