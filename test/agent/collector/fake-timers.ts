import type { Timers } from '../../../shared/timers.ts'
import { manualTimers } from '../../helpers/manual-timers.ts'

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
  const mono = manualTimers(0)
  let wallOffset = wallStart
  return {
    timers: mono.timers,
    now: () => wallOffset + mono.now(),
    monotonicNow: mono.now,
    advance: mono.advance,
    stepWall (ms) { wallOffset += ms },
    pending: mono.delays,
    elapsed: mono.now,
  }
}
