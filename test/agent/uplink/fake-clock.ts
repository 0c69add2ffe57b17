import type { Timers } from '../../../shared/timers.ts'
import { manualTimers } from '../../helpers/manual-timers.ts'

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
  const clock = manualTimers(start)
  return { now: clock.now, timers: clock.timers, advance: clock.advance, pending: () => clock.delays().length }
}
