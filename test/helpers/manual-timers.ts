import type { Timers } from '../../shared/timers.ts'

/**
 * Hand-driven time behind every fake clock in the tests: shared/timers.ts's Timers, whose
 * timers fire only when the test advances the clock, so a backoff, a heartbeat or a loop's
 * tick runs without sleeping and a test can say how much time passed.
 */
export interface ManualTimers {
  timers: Timers
  now: () => number
  /** Sets the clock (even backwards) without firing anything. */
  set: (ms: number) => void
  /** Delays of the timers waiting now, soonest first. */
  delays: () => number[]
  /** Moves time forward, firing every timer that falls due, in order. */
  advance: (ms: number) => void
  /** Like advance, awaiting a turn of the event loop after each timer so async work settles. */
  advanceSettling: (ms: number) => Promise<void>
}

export function manualTimers (start = 0): ManualTimers {
  let t = start
  let seq = 0
  const queue = new Map<number, { at: number, fn: () => void }>()
  /** Fires the earliest timer due by `end`; false when none is. */
  const fireNext = (end: number): boolean => {
    let next: [number, { at: number, fn: () => void }] | undefined
    for (const entry of queue) if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry
    if (next === undefined) return false
    queue.delete(next[0])
    t = next[1].at
    next[1].fn()
    return true
  }
  return {
    timers: {
      setTimeout (fn, ms) {
        const id = ++seq
        queue.set(id, { at: t + Math.max(0, ms), fn })
        return id
      },
      clearTimeout (handle) { queue.delete(handle as number) },
    },
    now: () => t,
    set: ms => { t = ms },
    delays: () => [...queue.values()].map(e => e.at - t).sort((a, b) => a - b),
    advance (ms) {
      const end = t + ms
      while (fireNext(end));
      t = end
    },
    async advanceSettling (ms) {
      const end = t + ms
      while (fireNext(end)) await new Promise(resolve => setImmediate(resolve))
      t = end
    },
  }
}
