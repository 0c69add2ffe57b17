import type { Store } from '../store/store.ts'
import type { FleetNode } from '../store/fleet-repository.ts'
import type { LostJob } from '../store/job-repository.ts'
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
  /** Offline this much longer (silent for offlineAfterMs + this), a node's running jobs are lost: failed NODE_FAIL or requeued. */
  nodeFailGraceMs?: number | undefined
  everyMs?: number | undefined
  /** Told of the jobs a pass ended or requeued (the scheduler is poked with it). */
  onJobsLost?: ((jobs: LostJob[]) => void) | undefined
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
 * A node still offline `nodeFailGraceMs` later is lost: its running jobs release their GPUs
 * (metering and billing stop there) and end failed with end_reason NODE_FAIL, or go back to
 * the queue when submitted with requeue.
 * Runs on one replica only (the leader).
 */
export function createLivenessLoop (opts: LivenessLoopOptions): LivenessLoop {
  const { store, now, log, timers = realTimers, offlineAfterMs = 90_000, nodeFailGraceMs = 120_000, everyMs = 15_000 } = opts
  if (!Number.isFinite(offlineAfterMs) || offlineAfterMs <= 0) throw new TypeError(`createLivenessLoop: offlineAfterMs must be > 0, got ${offlineAfterMs}`)
  if (!Number.isFinite(nodeFailGraceMs) || nodeFailGraceMs < 0) throw new TypeError(`createLivenessLoop: nodeFailGraceMs must be >= 0, got ${nodeFailGraceMs}`)
  if (!Number.isFinite(everyMs) || everyMs <= 0) throw new TypeError(`createLivenessLoop: everyMs must be > 0, got ${everyMs}`)

  const tick = async (): Promise<FleetNode[]> => {
    const t = now()
    const gone = await store.fleet.markStaleNodesOffline(t - offlineAfterMs, t)
    for (const n of gone) {
      log?.warn({ nodeId: n.id, hostname: n.hostname, lastSeenAt: n.lastSeenAt, silentMs: t - (n.lastSeenAt ?? n.registeredAt) }, 'node offline')
    }
    const lost = await store.jobs.failLostNodeJobs(t - offlineAfterMs - nodeFailGraceMs, t)
    for (const l of lost) {
      log?.warn({ jobId: l.job.id, nodeIds: l.nodeIds, requeued: l.requeued }, l.requeued ? 'job requeued: its node is lost' : 'job failed: its node is lost (NODE_FAIL)')
    }
    if (lost.length > 0) opts.onJobsLost?.(lost)
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
