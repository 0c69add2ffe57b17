import type { ListedGpu } from './parse-list-gpus.ts'
import type { QueriedMigGpu } from './parse-query-mig.ts'
import type { MigInstanceReading, MigProcess, MigReading } from './snapshot.ts'

/**
 * `nvidia-smi -L` and `nvidia-smi -q` of the same moment → MIG devices per parent GPU UUID.
 * The two number a GPU's MIG devices the same way (`MIG Dev` in the summary table, `Device N`
 * in -L, `Index` in -q), so they join on that index; a device only one of them lists keeps
 * nulls for what the other would have said. GPUs whose -q says MIG is not Enabled are left out.
 */
export function joinMig (listed: readonly ListedGpu[], queried: readonly QueriedMigGpu[], readAt: number): MigReading {
  const instances = new Map<string, MigInstanceReading[]>()
  const processes: MigProcess[] = []
  for (const q of queried) {
    if (q.uuid === null || q.migModeCurrent !== 'Enabled') continue
    const l = listed.find(g => g.uuid === q.uuid)
    const indexes = [...new Set([...q.devices.map(d => d.migDeviceIndex), ...(l?.mig ?? []).map(m => m.migDeviceIndex)])].sort((a, b) => a - b)
    instances.set(q.uuid, indexes.map(i => {
      const d = q.devices.find(x => x.migDeviceIndex === i)
      const m = l?.mig.find(x => x.migDeviceIndex === i)
      return {
        migDeviceIndex: i,
        gpuInstanceId: d?.gpuInstanceId ?? null,
        computeInstanceId: d?.computeInstanceId ?? null,
        profile: m?.profile ?? null,
        uuid: m?.uuid ?? null,
        memoryTotalMib: d?.memoryTotalMib ?? null,
        memoryUsedMib: d?.memoryUsedMib ?? null,
        memoryFreeMib: d?.memoryFreeMib ?? null,
      }
    }))
    for (const p of q.processes) {
      if (p.gpuInstanceId !== null) processes.push({ gpuUuid: q.uuid, pid: p.pid, gpuInstanceId: p.gpuInstanceId, computeInstanceId: p.computeInstanceId })
    }
  }
  return { readAt, instances, processes }
}
