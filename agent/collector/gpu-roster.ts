import { sameBusId } from './parse-smi-message.ts'
import type { GpuReading, MissingGpu } from './snapshot.ts'

export interface GpuRoster {
  /** Remember the identity of GPUs that printed a row; a new index joins the order. */
  see: (gpus: readonly GpuReading[]) => void
  /** Every GPU the host has had since start, in nvidia-smi's print order. */
  order: () => number[]
  /** The known GPU at a PCI bus id, or null. */
  indexOfBus: (pciBusId: string) => number | null
  /** Record a GPU (by index, or by bus id when nvidia-smi never printed it) as missing; true when that is news. */
  markMissing: (who: { index: number | null, pciBusId?: string | null }, reason: string) => boolean
  /** A GPU printed a row again; true when it had been missing. */
  markPresent: (index: number) => boolean
  missing: () => MissingGpu[]
  describe: (index: number | null) => { index: number | null, uuid: string | null, pciBusId: string | null }
}

/**
 * The GPUs this host has, by index, with the identity nvidia-smi last printed for each (so a
 * GPU that fell off the bus can still be named by index and UUID), and the ones missing now.
 */
export function createGpuRoster (initial: readonly GpuReading[], now: () => number): GpuRoster {
  const known = new Map<number, { uuid: string | null, pciBusId: string | null, name: string | null }>()
  const order: number[] = []
  // Keyed by index; a device nvidia-smi never printed (lost before the agent started) by its bus id.
  const missing = new Map<string, MissingGpu>()
  const key = (index: number | null, pciBusId: string | null | undefined): string => index === null ? `bus:${(pciBusId ?? '').toLowerCase()}` : `gpu:${index}`

  function see (gpus: readonly GpuReading[]): void {
    for (const gpu of gpus) {
      const before = known.get(gpu.index)
      known.set(gpu.index, {
        uuid: gpu.uuid ?? before?.uuid ?? null,
        pciBusId: gpu.pciBusId ?? before?.pciBusId ?? null,
        name: gpu.name ?? before?.name ?? null,
      })
      if (!order.includes(gpu.index)) order.push(gpu.index)
      // It was listed by bus id before nvidia-smi ever printed it: now it has an index.
      if (gpu.pciBusId !== null) {
        for (const [k, m] of missing) if (m.index === null && m.pciBusId !== null && sameBusId(m.pciBusId, gpu.pciBusId)) missing.delete(k)
      }
    }
  }
  see(initial)

  function indexOfBus (pciBusId: string): number | null {
    for (const [index, id] of known) if (id.pciBusId !== null && sameBusId(id.pciBusId, pciBusId)) return index
    return null
  }

  return {
    see,
    order: () => [...order],
    indexOfBus,
    markMissing ({ index, pciBusId }, reason) {
      const k = key(index, pciBusId)
      const before = missing.get(k)
      const id = index === null ? null : known.get(index)
      missing.set(k, {
        index,
        uuid: id?.uuid ?? null,
        pciBusId: id?.pciBusId ?? pciBusId ?? null,
        name: id?.name ?? null,
        // A device-handle error says more than "no row": it wins; otherwise the first reason stays.
        reason: before === undefined || /device handle/.test(reason) ? reason : before.reason,
        since: before?.since ?? now(),
      })
      return before === undefined
    },
    markPresent: index => missing.delete(key(index, null)),
    missing: () => [...missing.values()].sort((a, b) => (a.index ?? 1e9) - (b.index ?? 1e9)),
    describe (index) {
      const id = index === null ? undefined : known.get(index)
      return { index, uuid: id?.uuid ?? null, pciBusId: id?.pciBusId ?? null }
    },
  }
}
