import type { Timers } from '../../../shared/timers.ts'

/**
 * Hand-driven time for the collector: a wall clock the test can step (even backwards), a
 * monotonic clock that only advance() moves, and timers that fire only on advance(), so a
 * backoff or a watchdog runs without sleeping and a test can say how much time passed.
 */
export interface FakeTimers {
  timers: Timers
  now: () => number
  monotonicNow: () => number
  /** Move both clocks forward, firing every timer that falls due, in order. */
  advance: (ms: number) => void
  /** Step the wall clock alone (NTP, `date -s`); the monotonic clock does not move. */
  stepWall: (ms: number) => void
  /** Delays of the timers waiting now, soonest first. */
  pending: () => number[]
  /** Monotonic ms since the fake clock was made. */
  elapsed: () => number
}

export function createFakeTimers (wallStart = Date.UTC(2026, 6, 1, 12, 0, 0)): FakeTimers {
  let mono = 0
  let wallOffset = wallStart
  let seq = 0
  const queue = new Map<number, { at: number, fn: () => void }>()
  return {
    timers: {
      setTimeout (fn, ms) {
        const id = ++seq
        queue.set(id, { at: mono + Math.max(0, ms), fn })
        return id
      },
      clearTimeout (handle) { queue.delete(handle as number) },
    },
    now: () => wallOffset + mono,
    monotonicNow: () => mono,
    advance (ms) {
      const end = mono + ms
      for (;;) {
        let next: [number, { at: number, fn: () => void }] | undefined
        for (const entry of queue) if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry
        if (next === undefined) break
        queue.delete(next[0])
        mono = next[1].at
        next[1].fn()
      }
      mono = end
    },
    stepWall (ms) { wallOffset += ms },
    pending: () => [...queue.values()].map(e => e.at - mono).sort((a, b) => a - b),
    elapsed: () => mono,
  }
}
