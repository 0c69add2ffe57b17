/**
 * The timer functions the uplink's loops use (backoff, heartbeat, replay pacing), passed in
 * so tests drive time by hand instead of sleeping. Bounds on real network I/O (request
 * timeouts) stay on real time: they bound a socket, not a schedule.
 */
export interface Timers {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms)
    // The agent's HTTP server keeps the process alive; a pending retry must not.
    handle.unref()
    return handle
  },
  clearTimeout: handle => { clearTimeout(handle as NodeJS.Timeout) },
}
