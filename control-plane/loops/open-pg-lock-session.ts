import pg from 'pg'
import type { LockSession } from './create-advisory-lease.ts'

/** The leader lock's key: one per database, 'gpfl' in ASCII so it is recognizable in pg_locks. */
export const LEADER_LOCK_KEY = 0x6770666c

export interface PgLockSessionOptions {
  url: string
  key?: number
  /** Connect and every query on the session give up after this long. */
  timeoutMs?: number
}

/**
 * A dedicated PostgreSQL connection (never a pooled one: a session-level advisory lock belongs
 * to the backend, and a pool would hand it to whoever borrows next). Server-side TCP
 * keepalives are turned down on this session so that a leader cut off by the network is
 * dropped by the server in ~25 s, releasing the lock; the leader itself stops leading sooner,
 * when its ping (every few seconds, timeoutMs bound) fails.
 */
export async function openPgLockSession ({ url, key = LEADER_LOCK_KEY, timeoutMs = 10_000 }: PgLockSessionOptions): Promise<LockSession> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'gpufleet-leader-lease',
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    keepAlive: true,
  })
  let lost: ((err: Error) => void) | null = null
  let ended = false
  const fire = (err: Error): void => {
    if (ended) return
    ended = true
    lost?.(err)
  }
  client.on('error', err => fire(err))
  client.on('end', () => fire(new Error('connection ended')))
  try {
    await client.connect()
    await client.query('SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3')
  } catch (err) {
    ended = true
    await client.end().catch(() => {})
    throw err
  }
  return {
    async tryLock () {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key])
      return r.rows[0]?.ok === true
    },
    async ping () {
      await client.query('SELECT 1')
    },
    onLost (fn) { lost = fn },
    async close () {
      ended = true
      await client.end().catch(() => {})
    },
  }
}
