import { realTimers, type Timers } from '../../shared/timers.ts'

/**
 * The timer functions telemetry's group commit and retention use, passed in so tests drive
 * them by hand. Real timers are unref'd: a pending flush must not keep a stopping process alive
 * (the HTTP server's open requests already do, until their commit answers them).
 */
export interface TelemetryTimers extends Timers {
  /** Runs `fn` after pending I/O callbacks, i.e. after the responses just resolved went out. */
  setImmediate: (fn: () => void) => void
}

export const realTelemetryTimers: TelemetryTimers = {
  ...realTimers,
  setImmediate: fn => { setImmediate(fn) },
}
