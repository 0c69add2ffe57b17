import type { Timers } from '../../../shared/timers.ts'

/**
 * Hand-driven time for the uplink's backoff, heartbeat and replay pacing: nothing fires until
 * the test calls advance(), so an outage of minutes runs in milliseconds.
 */
export interface FakeClock {
  now: () => number
  timers: Timers
  /** Moves time forward, firing every timer that falls due, in order. */
  advance: (ms: number) => void
  pending: () => number
}

export function createFakeClock (start = Date.UTC(2026, 3, 26, 4, 0, 0)): FakeClock {
  let t = start
  let seq = 0
  const queue = new Map<number, { at: number, fn: () => void }>()
  return {
    now: () => t,
    timers: {
      setTimeout (fn, ms) {
        const id = ++seq
        queue.set(id, { at: t + Math.max(0, ms), fn })
        return id
      },
      clearTimeout (handle) { queue.delete(handle as number) },
    },
    advance (ms) {
      const end = t + ms
      for (;;) {
        let next: [number, { at: number, fn: () => void }] | undefined
        for (const entry of queue) if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry
        if (next === undefined) break
        queue.delete(next[0])
        t = next[1].at
        next[1].fn()
      }
      t = end
    },
    pending: () => queue.size,
  }
}
