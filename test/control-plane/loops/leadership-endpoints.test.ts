import t from 'tap'
import { join } from 'node:path'
import pino from 'pino'
import { startControlPlane } from '../../../control-plane/start-control-plane.ts'
import { parseControlPlaneConfig } from '../../../control-plane/config.ts'
import { createAdvisoryLease } from '../../../control-plane/loops/create-advisory-lease.ts'
import { fakeClock } from '../fleet/fleet-harness.ts'
import { fakeLockServer } from './fake-lock-server.ts'

const silent = pino({ level: 'silent' })

t.test('SQLite: the one process leads; /healthz details and /metrics say so', async t => {
  const started: string[] = []
  const cp = await startControlPlane(parseControlPlaneConfig({ listen: '127.0.0.1:0', db: join(t.testdir(), 'cp.db') }), {
    log: silent,
    loops: [() => ({ start: () => { started.push('loop') }, stop: () => {} })],
  })
  t.teardown(() => cp.close())
  t.same(started, ['loop'])
  const health = await (await fetch(`${cp.url}/healthz`)).json() as { status: string, details: { role: string, lease: string, leader_since: string } }
  t.match(health, { status: 'ok', details: { role: 'leader', lease: 'sole' } })
  t.ok(Number.isFinite(Date.parse(health.details.leader_since)), 'leader_since is an ISO time')
  const metrics = await (await fetch(`${cp.url}/metrics`)).text()
  t.match(metrics, /^gpufleet_cp_leader 1$/m)
  t.match(metrics, /^gpufleet_cp_leader_changes_total\{change="gained"\} 1$/m)
})

t.test('a follower answers requests and serves /healthz as follower, runs no loop until it gains the lease', async t => {
  const server = fakeLockServer()
  const clock = fakeClock()
  const holder = createAdvisoryLease({ connect: server.connect, timers: clock.timers, now: clock.now })
  await holder.start()
  const started: string[] = []
  const leadership = createAdvisoryLease({ connect: server.connect, timers: clock.timers, now: clock.now })
  const cp = await startControlPlane(parseControlPlaneConfig({ listen: '127.0.0.1:0', db: join(t.testdir(), 'cp.db') }), {
    log: silent,
    leadership,
    loops: [() => ({ start: () => { started.push('start') }, stop: () => { started.push('stop') } })],
  })
  t.teardown(() => cp.close())
  t.same(started, [])
  t.match(await (await fetch(`${cp.url}/healthz`)).json(), { status: 'ok', details: { role: 'follower', lease: 'advisory_lock', leader_since: null } })
  t.match(await (await fetch(`${cp.url}/metrics`)).text(), /^gpufleet_cp_leader 0$/m)

  await holder.stop()
  await clock.advance(5000)
  t.same(started, ['start'], 'took over at its next attempt')
  t.match(await (await fetch(`${cp.url}/healthz`)).json(), { details: { role: 'leader' } })
  await cp.close()
  t.same(started, ['start', 'stop'])
  t.equal(server.holder(), null, 'close() released the lock')
})
