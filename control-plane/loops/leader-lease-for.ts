import { createAdvisoryLease, type AdvisoryLeaseOptions } from './create-advisory-lease.ts'
import { createSoleLeader } from './create-sole-leader.ts'
import type { LeaderLease } from './leader-lease.ts'
import { openPgLockSession } from './open-pg-lock-session.ts'
import { isPostgresUrl } from '../store/open-store.ts'

/** The lease for a `--db` value: an advisory lock for postgres://…, the sole process for a SQLite file. */
export function leaderLeaseFor (db: string, options: Omit<AdvisoryLeaseOptions, 'connect'> = {}): LeaderLease {
  if (!isPostgresUrl(db)) return createSoleLeader(options.now)
  return createAdvisoryLease({ ...options, connect: () => openPgLockSession({ url: db }) })
}
