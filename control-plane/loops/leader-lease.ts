/**
 * Which replica runs the background loops (scheduler, alerts, retention, liveness). On SQLite
 * the one process always leads; on PostgreSQL a session-level advisory lock decides.
 */
export interface LeaderLease {
  /** Makes the first attempt before resolving, so a sole leader leads once start() returns. */
  start: () => Promise<void>
  /** Gives the lease up (the lock's session ends) and reports the loss to listeners. */
  stop: () => Promise<void>
  isLeader: () => boolean
  /** Called with true on gain and false on loss, in order; returns an unsubscribe. */
  onChange: (listener: (leader: boolean) => void) => () => void
  status: () => LeaderStatus
}

export interface LeaderStatus {
  /** 'sole': the only process (SQLite); 'advisory_lock': PostgreSQL pg_try_advisory_lock. */
  mode: 'sole' | 'advisory_lock'
  leader: boolean
  /** Epoch ms of the last gain while leading, else null. */
  since: number | null
  gains: number
  losses: number
  /** Why the last attempt or check failed (connection refused, …), null when fine. */
  lastError: string | null
}
