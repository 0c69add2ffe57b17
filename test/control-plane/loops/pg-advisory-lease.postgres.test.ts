import t from 'tap'
import pg from 'pg'
import { createAdvisoryLease } from '../../../control-plane/loops/create-advisory-lease.ts'
import { openPgLockSession } from '../../../control-plane/loops/open-pg-lock-session.ts'
import { leaderLeaseFor } from '../../../control-plane/loops/leader-lease-for.ts'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'

async function until (what: string, fn: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await fn()) return
    await new Promise(r => setTimeout(r, 50))
  }
  throw new Error(`never happened: ${what}`)
}

t.test('real PostgreSQL: one leader; its backend terminated → it steps down and the other takes over', async t => {
  const db = await postgresTestDatabase(t)
  const make = () => createAdvisoryLease({ connect: () => openPgLockSession({ url: db.url }), retryMs: 50, checkMs: 50 })
  const a = make()
  const b = make()
  t.teardown(async () => { await a.stop(); await b.stop() })
  const changes: string[] = []
  a.onChange(l => changes.push(`a ${l}`))
  b.onChange(l => changes.push(`b ${l}`))
  await a.start()
  await b.start()
  t.equal(a.isLeader(), true)
  t.equal(b.isLeader(), false)

  // What the server does when a leader is SIGKILLed: its backend goes away with the socket.
  const admin = new pg.Client({ connectionString: db.url })
  await admin.connect()
  t.teardown(() => admin.end())
  const holders = await admin.query<{ pid: number }>("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted")
  t.equal(holders.rowCount, 1, 'exactly one session holds the lock')
  await admin.query('SELECT pg_terminate_backend($1)', [holders.rows[0]!.pid])

  await until('a heard it lost the lease', () => changes.includes('a false'))
  t.equal(changes[1], 'a false', 'the loss is heard before anyone gains')
  await until('a replica leads again', () => a.isLeader() || b.isLeader())
  t.notOk(a.isLeader() && b.isLeader(), 'never two leaders')
  t.equal((await admin.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted")).rowCount, 1, 'one holder')

  const [leader, follower] = a.isLeader() ? [a, b] : [b, a]
  await leader.stop()
  await until('the other takes over once the leader gave the lock up', () => follower.isLeader())
})

t.test('leaderLeaseFor: sole for a SQLite path, advisory lock for postgres://', async t => {
  const db = await postgresTestDatabase(t)
  t.equal(leaderLeaseFor('./data/gpufleet.db').status().mode, 'sole')
  const lease = leaderLeaseFor(db.url)
  t.equal(lease.status().mode, 'advisory_lock')
  await lease.start()
  t.teardown(() => lease.stop())
  t.equal(lease.isLeader(), true)
})
