import type { Store } from '../store/store.ts'
import type { FleetNode } from '../store/fleet-repository.ts'
import type { FleetLogger } from './fleet-logger.ts'
import { createSlotLoop } from '../../shared/create-slot-loop.ts'
import { realTimers, type Timers } from '../../shared/timers.ts'

export interface LivenessLoopOptions {
  store: Store
  now: () => number
  timers?: Timers | undefined
  log?: FleetLogger | undefined
  /** Silence (no heartbeat, no sample) after which a node is offline. */
  offlineAfterMs?: number | undefined
  everyMs?: number | undefined
}

export interface LivenessLoop {
  start: () => void
  /** Cancels the next tick and waits for a running one. */
  stop: () => Promise<void>
  /** One pass, also what the timer runs: marks silent nodes offline and returns them. */
  tick: () => Promise<FleetNode[]>
}

/**
 * Node liveness: every `everyMs` (aligned to wall-clock slots; a slow pass skips the slots
 * it overran instead of running back to back), online nodes silent for more than
 * `offlineAfterMs` go offline with one durable event each. Coming back online is recorded
 * by whatever hears from the node next (registration heartbeat or a telemetry sample).
 * Runs on one replica only (the leader).
 */
export function createLivenessLoop (opts: LivenessLoopOptions): LivenessLoop {
  const { store, now, log, timers = realTimers, offlineAfterMs = 90_000, everyMs = 15_000 } = opts
  if (!Number.isFinite(offlineAfterMs) || offlineAfterMs <= 0) throw new TypeError(`createLivenessLoop: offlineAfterMs must be > 0, got ${offlineAfterMs}`)
  if (!Number.isFinite(everyMs) || everyMs <= 0) throw new TypeError(`createLivenessLoop: everyMs must be > 0, got ${everyMs}`)

  const tick = async (): Promise<FleetNode[]> => {
    const t = now()
    const gone = await store.fleet.markStaleNodesOffline(t - offlineAfterMs, t)
    for (const n of gone) {
      log?.warn({ nodeId: n.id, hostname: n.hostname, lastSeenAt: n.lastSeenAt, silentMs: t - (n.lastSeenAt ?? n.registeredAt) }, 'node offline')
    }
    return gone
  }

  const loop = createSlotLoop({
    everyMs,
    now,
    timers,
    pass: tick,
    // A failed pass (store busy, connection lost) is retried on the next slot, never fatal.
    onError: err => log?.warn({ err: String(err) }, 'liveness pass failed'),
  })

  return {
    start: loop.start,
    stop: loop.stop,
    tick,
  }
}
