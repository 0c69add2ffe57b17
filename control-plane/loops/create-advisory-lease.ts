import { realTimers, type Timers } from '../../shared/timers.ts'
import { createLeaderListeners } from './create-leader-listeners.ts'
import type { LeaderLease, LeaderStatus } from './leader-lease.ts'

/** One database session that can hold the leader lock (open-pg-lock-session.ts is the real one). */
export interface LockSession {
  /** pg_try_advisory_lock: true when this session now holds the lock (or already did). */
  tryLock: () => Promise<boolean>
  /** A round trip on the session; rejects when it is gone or too slow. */
  ping: () => Promise<void>
  /** Called once if the session dies by itself (socket closed, server restarted). */
  onLost: (fn: (err: Error) => void) => void
  /** Ends the session, which releases a session-level lock server-side. Never rejects. */
  close: () => Promise<void>
}

export interface AdvisoryLeaseOptions {
  connect: () => Promise<LockSession>
  now?: () => number
  timers?: Timers
  /** A follower asks for the lock this often (and reconnects after a failure). */
  retryMs?: number
  /** The leader checks that its session is alive this often; a failed check loses the lease. */
  checkMs?: number
  log?: { info: (o: object, m: string) => void, warn: (o: object, m: string) => void }
}

/**
 * Leadership from a session-level advisory lock held on a dedicated connection: whoever holds
 * it runs the background loops. Followers try again every `retryMs`; the leader pings its
 * session every `checkMs`. A session that dies (the error/end event, or a failed ping) loses
 * the lease at once: listeners hear `false` before anything else happens, and the session is
 * closed so the server releases the lock even if the socket was only half dead. A leader that
 * is SIGKILLed closes its socket with the process, the server ends its backend, the lock is
 * free, and the next follower attempt (≤ retryMs later) takes it.
 */
export function createAdvisoryLease (options: AdvisoryLeaseOptions): LeaderLease {
  const { connect, now = Date.now, timers = realTimers, retryMs = 5000, checkMs = 5000, log } = options
  for (const [name, v] of [['retryMs', retryMs], ['checkMs', checkMs]] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new TypeError(`createAdvisoryLease: ${name} must be > 0, got ${v}`)
  }
  const listeners = createLeaderListeners(err => log?.warn({ err: String(err) }, 'leader listener failed'))
  const status: LeaderStatus = { mode: 'advisory_lock', leader: false, since: null, gains: 0, losses: 0, lastError: null }
  let session: LockSession | null = null
  let running = false
  let handle: unknown = null
  let attempt: Promise<void> | null = null

  const schedule = (ms: number): void => {
    if (!running || handle !== null) return
    handle = timers.setTimeout(() => { handle = null; attempt = step().finally(() => { attempt = null }) }, ms)
  }

  const lose = (why: string): void => {
    const dead = session
    session = null
    if (dead !== null) void dead.close()
    if (!status.leader) return
    // A former leader waits a whole retry before asking again, so a healthy follower gets in first.
    if (handle !== null) { timers.clearTimeout(handle); handle = null }
    Object.assign(status, { leader: false, since: null, losses: status.losses + 1, lastError: why })
    log?.warn({ reason: why }, 'lost leadership; background loops stop')
    listeners.emit(false)
  }

  const open = async (): Promise<LockSession> => {
    const s = await connect()
    s.onLost(err => {
      if (session !== s) return
      lose(`session lost: ${err.message}`)
      if (attempt === null) schedule(retryMs)
    })
    return s
  }

  // One pass: a follower (re)connects and asks for the lock; the leader checks its session.
  const step = async (): Promise<void> => {
    if (!running) return
    try {
      if (status.leader) {
        await session!.ping()
      } else {
        session ??= await open()
        const s = session
        if (await s.tryLock()) {
          if (!running || session !== s) return
          Object.assign(status, { leader: true, since: now(), gains: status.gains + 1, lastError: null })
          log?.info({}, 'gained leadership; starting background loops')
          listeners.emit(true)
        } else {
          status.lastError = null
        }
      }
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      status.lastError = why
      if (status.leader) lose(`check failed: ${why}`)
      else { const dead = session; session = null; if (dead !== null) void dead.close() }
    }
    schedule(status.leader ? checkMs : retryMs)
  }

  return {
    async start () {
      if (running) return
      running = true
      attempt = step().finally(() => { attempt = null })
      await attempt
    },
    async stop () {
      if (!running) return
      running = false
      if (handle !== null) timers.clearTimeout(handle)
      handle = null
      if (attempt !== null) await attempt
      const s = session
      session = null
      if (status.leader) {
        Object.assign(status, { leader: false, since: null, losses: status.losses + 1 })
        listeners.emit(false)
      }
      await s?.close()
    },
    isLeader: () => status.leader,
    onChange: listeners.add,
    status: () => ({ ...status }),
  }
}
