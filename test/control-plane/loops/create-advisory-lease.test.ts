import t from 'tap'
import { createAdvisoryLease } from '../../../control-plane/loops/create-advisory-lease.ts'
import { fakeClock } from '../fleet/fleet-harness.ts'
import { fakeLockServer } from './fake-lock-server.ts'

function replica (server: ReturnType<typeof fakeLockServer>, clock: ReturnType<typeof fakeClock>) {
  const changes: boolean[] = []
  const lease = createAdvisoryLease({ connect: server.connect, now: clock.now, timers: clock.timers, retryMs: 5000, checkMs: 5000 })
  lease.onChange(leader => changes.push(leader))
  return { lease, changes }
}

t.test('one of two replicas leads; the other takes over within one retry of the leader dying', async t => {
  const server = fakeLockServer()
  const clock = fakeClock()
  const a = replica(server, clock)
  const b = replica(server, clock)
  await a.lease.start()
  await b.lease.start()
  t.equal(a.lease.isLeader(), true, 'the first to ask leads once start() resolves')
  t.equal(b.lease.isLeader(), false)
  t.same(a.changes, [true])
  t.same(b.changes, [])
  t.match(a.lease.status(), { mode: 'advisory_lock', leader: true, gains: 1, losses: 0 })

  await clock.advance(60_000)
  t.equal(b.lease.isLeader(), false, 'a follower keeps asking and keeps being refused')
  t.same(b.changes, [])

  // SIGKILL between two attempts: the leader's socket closes with its process, the server releases the lock.
  await clock.advance(2000)
  server.sessions()[0]!.kill()
  t.same(a.changes, [true, false], 'the dead session loses at once (onLost), before any timer')
  t.equal(server.holder(), null)
  await clock.advance(3000)
  t.equal(b.lease.isLeader(), true, 'the follower took over at its next attempt (≤ retryMs)')
  t.same(b.changes, [true])

  await clock.advance(2000)
  t.equal(a.lease.isLeader(), false, 'the old leader reconnected as a follower')
  t.equal(server.sessions().length, 3, 'it opened a fresh session')
  await a.lease.stop()
  await b.lease.stop()
  t.same(b.changes, [true, false], 'stop() reports the loss')
  t.equal(server.holder(), null, 'stop() ends the session, releasing the lock')
})

t.test('a hung session (pings fail) steps down at the next check and closes the session', async t => {
  const server = fakeLockServer()
  const clock = fakeClock()
  const a = replica(server, clock)
  await a.lease.start()
  server.sessions()[0]!.hang()
  t.equal(a.lease.isLeader(), true)
  await clock.advance(5000)
  t.equal(a.lease.isLeader(), false, 'lost at the first failed check')
  t.match(a.lease.status(), { leader: false, losses: 1, lastError: 'query timeout' })
  t.equal(server.sessions()[0]!.ended, true, 'closed so the server lets the lock go')
  await clock.advance(5000)
  t.equal(a.lease.isLeader(), true, 'and leads again on a new session')
  t.same(a.changes, [true, false, true])
  await a.lease.stop()
})

t.test('database unreachable: no leader, retried every retryMs, leads once it answers', async t => {
  const server = fakeLockServer()
  const clock = fakeClock()
  server.refuse(true)
  const a = replica(server, clock)
  await a.lease.start()
  t.equal(a.lease.isLeader(), false)
  t.match(a.lease.status().lastError, /ECONNREFUSED/)
  await clock.advance(20_000)
  t.equal(clock.pending(), 1, 'exactly one retry pending')
  server.refuse(false)
  await clock.advance(5000)
  t.equal(a.lease.isLeader(), true)
  t.equal(a.lease.status().lastError, null)
  await a.lease.stop()
  await a.lease.stop()
  t.equal(clock.pending(), 0, 'stop cancels the timer; twice is harmless')
  t.same(a.changes, [true, false])
})

t.test('options are checked', async t => {
  t.throws(() => createAdvisoryLease({ connect: fakeLockServer().connect, retryMs: 0 }), /retryMs must be > 0/)
  t.throws(() => createAdvisoryLease({ connect: fakeLockServer().connect, checkMs: Number.NaN }), /checkMs must be > 0/)
})
