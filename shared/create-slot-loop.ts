import type { Timers } from './timers.ts'

export interface SlotLoopOptions {
  everyMs: number
  now: () => number
  timers: Timers
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
