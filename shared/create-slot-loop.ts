/** The timer functions loops use, passed in so tests fire ticks by hand instead of sleeping. */
export interface LoopTimers {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export const realLoopTimers: LoopTimers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms)
    // The HTTP server keeps the process alive; a pending background tick must not.
    handle.unref()
    return handle
  },
  clearTimeout: handle => { clearTimeout(handle as NodeJS.Timeout) },
}

export interface SlotLoopOptions {
  everyMs: number
  now: () => number
  timers: LoopTimers
  /** One pass; a rejection goes to `onError` and the loop goes on at the next slot. */
  pass: () => Promise<unknown>
  onError: (err: unknown) => void
}

export interface SlotLoop {
  start: () => void
  /** Cancels the next pass and waits for a running one. */
  stop: () => Promise<void>
}

/**
 * Runs `pass` on wall-clock slots of `everyMs` (Prometheus' rule groups do the same): a slow
 * pass skips the slots it overran instead of running back to back, and a failed pass is
 * retried on the next slot, never fatal. The background loops (liveness, alerts) share it.
 */
export function createSlotLoop ({ everyMs, now, timers, pass, onError }: SlotLoopOptions): SlotLoop {
  let running = false
  let handle: unknown = null
  let inFlight: Promise<unknown> | null = null

  const schedule = (): void => {
    const t = now()
    handle = timers.setTimeout(run, everyMs - (((t % everyMs) + everyMs) % everyMs))
  }

  const run = (): void => {
    handle = null
    if (!running) return
    inFlight = pass().catch(onError).finally(() => {
      inFlight = null
      if (running) schedule()
    })
  }

  return {
    start () {
      if (running) return
      running = true
      schedule()
    },
    async stop () {
      running = false
      if (handle !== null) timers.clearTimeout(handle)
      handle = null
      if (inFlight !== null) await inFlight
    },
  }
}
