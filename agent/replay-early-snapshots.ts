import type { Snapshot } from './collector/snapshot.ts'
import type { GpuSource } from './gpu-source.ts'

/**
 * The collector ticks from its start, but the uplink subscribes only once the API listens
 * (its agent_url needs the real port). This source keeps every snapshot taken meanwhile and
 * hands them, oldest first, to the first subscriber, so no tick of the start-up is lost.
 */
export function replayEarlySnapshots (source: GpuSource): GpuSource {
  let early: Snapshot[] | null = []
  const stopKeeping = source.onSnapshot(s => { early?.push(s) })
  return {
    ...source,
    onSnapshot (listener) {
      const unsubscribe = source.onSnapshot(listener)
      if (early !== null) {
        const kept = early
        early = null
        stopKeeping()
        for (const s of kept) listener(s)
      }
      return unsubscribe
    },
  }
}
