/**
 * The timer functions telemetry's group commit and retention use, passed in so tests drive
 * them by hand. Real timers are unref'd: a pending flush must not keep a stopping process alive
 * (the HTTP server's open requests already do, until their commit answers them).
 */
export interface TelemetryTimers {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
  /** Runs `fn` after pending I/O callbacks, i.e. after the responses just resolved went out. */
  setImmediate: (fn: () => void) => void
}

export const realTelemetryTimers: TelemetryTimers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms)
    handle.unref()
    return handle
  },
  clearTimeout: handle => { clearTimeout(handle as NodeJS.Timeout) },
  setImmediate: fn => { setImmediate(fn) },
}
