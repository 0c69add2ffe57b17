import type { GpuReading, MigReading } from './snapshot.ts'

/**
 * A tick's readings with the newest MIG read attached to the MIG-enabled GPUs (by UUID). A GPU
 * whose loop row says Enabled but that the MIG read has not covered yet gets null (unknown),
 * never an empty list; GPUs without MIG are returned as they are.
 */
export function withMig (gpus: GpuReading[], mig: MigReading | null): GpuReading[] {
  if (!gpus.some(g => g.migMode === 'Enabled')) return gpus
  return gpus.map(g => {
    if (g.migMode !== 'Enabled') return g
    const instances = g.uuid === null ? undefined : mig?.instances.get(g.uuid)
    return { ...g, migInstances: instances ?? null }
  })
}
