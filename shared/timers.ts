/**
 * The one timers type: the timer functions a loop uses (the agent's collector and uplink, the
 * control plane's background loops, telemetry's group commit), passed in so tests drive time by
 * hand instead of sleeping. Bounds on real network I/O (request timeouts) stay on real time:
 * they bound a socket, not a schedule.
 */
export interface Timers {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms)
    // The HTTP server keeps the process alive; a pending retry or tick must not.
    handle.unref()
    return handle
  },
  clearTimeout: handle => { clearTimeout(handle as NodeJS.Timeout) },
}
