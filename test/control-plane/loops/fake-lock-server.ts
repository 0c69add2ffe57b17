import type { LockSession } from '../../../control-plane/loops/create-advisory-lease.ts'

/**
 * An in-memory stand-in for PostgreSQL's session-level advisory lock: one holder at a time,
 * released when the holding session ends. Tests kill sessions (socket closed), hang them
 * (pings fail, lock still held server-side) and refuse connections.
 */
export function fakeLockServer () {
  let holder: FakeSession | null = null
  let refuse = false
  const sessions: FakeSession[] = []

  interface FakeSession extends LockSession {
    id: number
    /** The socket closes: the server releases the lock and the client hears it. */
    kill: () => void
    /** The session stops answering (pings reject) but the server still holds its lock. */
    hang: () => void
    ended: boolean
  }

  const end = (s: FakeSession): void => {
    s.ended = true
    if (holder === s) holder = null
  }

  return {
    async connect (): Promise<FakeSession> {
      if (refuse) throw new Error('connect ECONNREFUSED')
      let lost: ((err: Error) => void) | null = null
      let hung = false
      const s: FakeSession = {
        id: sessions.length + 1,
        ended: false,
        async tryLock () {
          if (s.ended || hung) throw new Error('connection terminated')
          if (holder === null) holder = s
          return holder === s
        },
        async ping () { if (s.ended || hung) throw new Error('query timeout') },
        onLost (fn) { lost = fn },
        async close () { end(s) },
        kill () { end(s); lost?.(new Error('connection terminated unexpectedly')) },
        hang () { hung = true },
      }
      sessions.push(s)
      return s
    },
    holder: () => holder?.id ?? null,
    sessions: () => sessions,
    refuse: (on: boolean) => { refuse = on },
  }
}
