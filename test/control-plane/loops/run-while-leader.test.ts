import t from 'tap'
import { createAdvisoryLease } from '../../../control-plane/loops/create-advisory-lease.ts'
import { createSoleLeader } from '../../../control-plane/loops/create-sole-leader.ts'
import { runWhileLeader } from '../../../control-plane/loops/run-while-leader.ts'
import { fakeClock } from '../fleet/fleet-harness.ts'
import { fakeLockServer } from './fake-lock-server.ts'

function recordingLoops (events: string[], names: string[]) {
  return names.map(name => ({
    start: () => { events.push(`${name} start`) },
    stop: async () => { events.push(`${name} stop`) },
  }))
}

const log = { warn: () => {} }

t.test('SQLite: the sole process leads; loops start with the gate and stop (in reverse) with it', async t => {
  const events: string[] = []
  const lease = createSoleLeader(() => 1000)
  const gate = runWhileLeader(lease, recordingLoops(events, ['liveness', 'alerts', 'scheduler']), log)
  await gate.start()
  t.equal(lease.isLeader(), true)
  t.match(lease.status(), { mode: 'sole', leader: true, since: 1000 })
  t.same(events, ['liveness start', 'alerts start', 'scheduler start'])
  await gate.stop()
  t.same(events.slice(3), ['scheduler stop', 'alerts stop', 'liveness stop'])
  t.equal(lease.isLeader(), false)
})

t.test('PostgreSQL: loops run only on the leader, stop when the lease is lost, start on the replica that takes over', async t => {
  const server = fakeLockServer()
  const clock = fakeClock()
  const events: string[] = []
  const make = (name: string) => {
    const lease = createAdvisoryLease({ connect: server.connect, now: clock.now, timers: clock.timers })
    return { lease, gate: runWhileLeader(lease, recordingLoops(events, [`${name}.scheduler`]), log) }
  }
  const a = make('a')
  const b = make('b')
  await a.gate.start()
  await b.gate.start()
  t.same(events, ['a.scheduler start'], 'the follower runs nothing')
  server.sessions()[0]!.kill()
  await a.gate.settled()
  t.same(events, ['a.scheduler start', 'a.scheduler stop'], 'stopped at once on loss, before anyone else could lead')
  await clock.advance(5000)
  await b.gate.settled()
  t.same(events.slice(2), ['b.scheduler start'])
  await a.gate.stop()
  await b.gate.stop()
  t.same(events.slice(3), ['b.scheduler stop'])
})

t.test('a loop that fails to start or stop is logged; the others still move', async t => {
  const warnings: string[] = []
  const events: string[] = []
  const lease = createSoleLeader()
  const loops = [
    { start: () => { throw new Error('boom') }, stop: () => { throw new Error('bang') } },
    ...recordingLoops(events, ['x']),
  ]
  const gate = runWhileLeader(lease, loops, { warn: (_o, m) => { warnings.push(m) } })
  await gate.start()
  await gate.stop()
  t.same(events, ['x start', 'x stop'])
  t.same(warnings, ['background loop failed to start', 'background loop failed to stop'])
})
