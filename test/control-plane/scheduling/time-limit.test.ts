import t from 'tap'
import { schedulingHarness, T0 } from './scheduling-harness.ts'

t.test('a running job past time_limit_min ends failed (TIMEOUT) when its limit falls, not at the next slot; its GPU goes to the next job', async t => {
  const h = await schedulingHarness(t)
  await h.settle() // the start-up cycle
  const c = await h.cluster('c', [{ gpus: 1 }])
  const capped = await h.submit({ cluster_id: c.clusterId, name: 'capped', time_limit_min: 1 })
  t.equal(capped.status, 201)
  t.match(capped.body, { status: 'queued', time_limit_min: 1, end_reason: null })
  const next = await h.submit({ cluster_id: c.clusterId, name: 'next' })
  t.match(next.body, { time_limit_min: null, end_reason: null }, 'no limit by default')
  await h.settle()
  const started = await h.job(capped.body.id)
  t.equal(started.status, 'running')
  const limitAt = Date.parse(started.started_at) + 60_000

  // Agents keep pushing: the GPU reads fresh (and idle) when the job is ended.
  await h.clock.advance(50_000 - (h.clock.now() - T0))
  await h.refresh()
  await h.clock.advance(limitAt - h.clock.now() - 1)
  await h.idle()
  t.match(await h.job(capped.body.id), { status: 'running', end_reason: null }, 'still running a millisecond before its limit (the 60 s slot passed)')
  await h.clock.advance(1)
  await h.settle()
  const ended = await h.job(capped.body.id)
  const endedAt = limitAt + 200
  t.match(ended, { status: 'failed', end_reason: 'TIMEOUT', pending_reason: null, ended_at: new Date(endedAt).toISOString(), time_limit_min: 1 },
    'ended one debounce after its limit, long before the 90 s slot')
  t.equal(ended.gpus[0].released_at, ended.ended_at, 'its GPU interval closed: metering and billing stop')
  t.match(ended.events.at(-1), { kind: 'ended', detail: { status: 'failed', from: 'running', by: 'scheduler', reason: 'TIMEOUT' } })
  t.match(await h.job(next.body.id), { status: 'running', started_at: ended.ended_at }, 'the freed GPU went to the waiting job in the same cycle')
  t.ok(h.lines.some(l => l.msg === 'job ended: time limit (TIMEOUT)'), 'logged')
  t.same(h.checker.violations, [])
})

t.test('a job ended before its limit keeps its own end; only the one still running at its limit times out', async t => {
  const h = await schedulingHarness(t)
  await h.settle()
  const c = await h.cluster('c', [{ gpus: 2 }])
  const a = (await h.submit({ cluster_id: c.clusterId, name: 'a', time_limit_min: 1 })).body.id as number
  const b = (await h.submit({ cluster_id: c.clusterId, name: 'b', time_limit_min: 1 })).body.id as number
  await h.settle()
  t.equal((await h.job(a)).status, 'running')
  t.match(await h.req('PATCH', `/api/jobs/${a}`, { body: { status: 'completed' } }), { status: 200, body: { status: 'completed', end_reason: null } })
  await h.clock.advance(50_000 - (h.clock.now() - T0))
  await h.refresh()
  await h.clock.advance(40_000)
  await h.idle()
  t.match(await h.job(b), { status: 'failed', end_reason: 'TIMEOUT' })
  const done = await h.job(a)
  t.match(done, { status: 'completed', end_reason: null })
  t.notOk(done.events.some((e: { detail: { reason?: string } | null }) => e.detail?.reason !== undefined), 'no TIMEOUT event for it')
  t.same(h.checker.violations, [])
})

t.test('a far limit arms no timer (setTimeout overflows past 24.8 days); slots look again until it is near', async t => {
  const h = await schedulingHarness(t)
  await h.settle()
  const c = await h.cluster('c', [{ gpus: 1 }])
  const year = (await h.submit({ cluster_id: c.clusterId, name: 'year', time_limit_min: 525_600 })).body.id as number
  await h.settle()
  t.equal((await h.job(year)).status, 'running')
  await h.clock.advance(30_000 - (h.clock.now() - T0))
  await h.idle()
  t.equal(h.clock.pending(), 1, 'only the next slot is pending')
  t.equal((await h.job(year)).status, 'running')
})
