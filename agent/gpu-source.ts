import type { ComputeAppsReading, MigReading, Snapshot } from './collector/snapshot.ts'

export type CollectorState = 'starting' | 'running' | 'restarting' | 'stopped'

export interface CollectorHealth {
  state: CollectorState
  /** Times the long-lived nvidia-smi child was killed or died and was respawned. */
  restarts: number
  /** Lines from nvidia-smi that did not parse (skipped, never guessed at). */
  parseErrors: number
  /** Epoch ms of the newest complete snapshot, null before the first. */
  lastSnapshotAt: number | null
  childPid: number | null
  /** Fields probed at start and queried in the loop. */
  fields: string[]
  lastError: string | null
  /**
   * nvidia-smi children that outlived SIGKILL (stuck in the driver) and were left behind
   * instead of awaited. Absent on sources without children.
   */
  abandonedChildren?: number
}

/**
 * What the rest of the agent needs from the collector: the API, /metrics, the uplink and
 * purge all read GPUs through this, so tests can hand them a fake source.
 */
export interface GpuSource {
  /** Newest complete snapshot, or null before the first one. */
  latest: () => Snapshot | null
  /** Subscribe to every new snapshot; returns an unsubscribe function. */
  onSnapshot: (listener: (snapshot: Snapshot) => void) => () => void
  /** Newest compute-apps reading (refreshed every 5 s), or null before the first. */
  computeApps: () => ComputeAppsReading | null
  /** Query compute apps now (on demand), updating the cached reading. */
  refreshComputeApps: () => Promise<ComputeAppsReading>
  /** Newest MIG read (only taken while a GPU reports MIG enabled), or null. Optional: fakes may omit it. */
  migReading?: () => MigReading | null
  /** A fresh one-shot nvidia-smi read, independent of the loop (purge before/after). */
  readNow: () => Promise<Snapshot>
  health: () => CollectorHealth
}
