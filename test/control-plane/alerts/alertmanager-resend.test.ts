import t, { type Test } from 'tap'
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { MIN, NOW, alertsSetup } from './alerts-harness.ts'
import { labelsFingerprint } from '../../../control-plane/alerts/alertmanager-payloads.ts'

interface Post { at: number, status: number, alerts: Array<{ labels: Record<string, string>, startsAt: string, endsAt: string }> }

/**
 * An Alertmanager stand-in on loopback that keeps time by the test's clock: POST /api/v2/alerts
 * stores each alert by its labels' fingerprint until its endsAt, as Alertmanager does, and
 * records an expiry whenever a firing alert's previous endsAt had passed before this post came
 * (Alertmanager would have resolved it in between). `answers`: statuses of the first posts.
 */
async function startAlertmanager (t: Test, now: () => number, answers: number[] = []) {
  const posts: Post[] = []
  const endsAt = new Map<string, number>()
  const expired: string[] = []
  const app = new Hono()
  app.post('/api/v2/alerts', async c => {
    const alerts = await c.req.json() as Post['alerts']
    const status = answers.shift() ?? 200
    posts.push({ at: now(), status, alerts })
    if (status !== 200) return c.json({ code: status, message: 'unavailable' }, status as 503)
    for (const a of alerts) {
      const fp = labelsFingerprint(a.labels)
      const previous = endsAt.get(fp)
      if (previous !== undefined && previous < now() && Date.parse(a.endsAt) > now()) expired.push(`${a.labels.subject} at ${new Date(previous).toISOString()}`)
      endsAt.set(fp, Date.parse(a.endsAt))
    }
    return c.body(null, 200)
  })
  const server = await new Promise<ReturnType<typeof serve>>(resolve => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/alerts`,
    posts,
    expired,
    /** Firing in Alertmanager's eyes at `at` (its endsAt not passed). */
    firing: (at: number) => [...endsAt.values()].filter(e => e > at).length,
  }
}

/** Tenants at 100 % of their 1-GPU quota fire quota_breach (rule 2), one event each. */
async function breaches (h: Awaited<ReturnType<typeof alertsSetup>>, names: string[]) {
  const node = await h.fleet.node({ hostname: 'a', gpus: names.length }, NOW)
  return names.map((name, i) => {
    const tenant = h.rows.tenant({ name, gpuQuota: 1 })
    const job = h.rows.job({ clusterId: node.clusterId, tenantId: tenant, status: 'running', submittedAt: NOW })
    h.rows.assign(job, node.gpuIds[i]!, NOW)
    return { release: (at: number) => h.rows.release(job, node.gpuIds[i]!, at) }
  })
}

const iso = (ms: number): string => new Date(ms).toISOString()

t.test('an open alert is posted again every minute with a fresh endsAt, so Alertmanager never expires it; resolved ends it and the re-posts stop', async t => {
  const h = await alertsSetup(t, { webhook: {} })
  const am = await startAlertmanager(t, h.clock.now)
  await h.store.alerts.updateRule(2, { webhookUrl: am.url, webhookFormat: 'alertmanager-api' }, NOW)
  const [acme] = await breaches(h, ['acme'])
  const dispatcher = h.loop.webhooks!
  // Only the dispatcher runs on the clock here: passes are called by hand, so each timer is the re-post's.
  dispatcher.start()
  await dispatcher.settled()
  t.equal(am.posts.length, 0, 'nothing open, nothing posted at start')
  t.equal((await h.loop.evaluate()).fired.length, 1)
  await dispatcher.settled()
  t.same(am.posts.map(p => [p.at, p.alerts.length, p.alerts[0]!.endsAt]), [[NOW, 1, iso(NOW + 4 * MIN)]], 'fired: endsAt 4 min out')

  for (let i = 1; i <= 5; i++) {
    await h.clock.advance(MIN)
    await dispatcher.settled()
    const last = am.posts.at(-1)!
    t.same([am.posts.length, last.at, last.alerts.length, last.alerts[0]!.startsAt, last.alerts[0]!.endsAt],
      [1 + i, NOW + i * MIN, 1, iso(NOW), iso(NOW + i * MIN + 4 * MIN)], `re-post ${i}: one minute after the last, endsAt 4 min out, startsAt kept`)
    t.same(last.alerts[0]!.labels, am.posts[0]!.alerts[0]!.labels, 'the same alert (labels)')
  }
  t.same(am.expired, [], 'Alertmanager never saw it expire')
  t.equal(am.firing(h.clock.now() + 3 * MIN), 1, 'still firing there 3 min on even if the next re-posts were lost')

  await h.clock.advance(MIN / 2)
  acme!.release(h.clock.now())
  const resolvedAt = h.clock.now()
  t.equal((await h.loop.evaluate()).resolved.length, 1)
  await dispatcher.settled()
  t.same([am.posts.length, am.posts.at(-1)!.alerts[0]!.endsAt], [7, iso(resolvedAt)], 'resolved: endsAt is the resolution')
  t.equal(am.firing(resolvedAt), 0)
  for (let i = 0; i < 3; i++) {
    await h.clock.advance(MIN)
    await dispatcher.settled()
  }
  t.equal(am.posts.length, 7, 'no re-post after the resolution')
  t.ok(am.posts.every(p => p.status === 200))
})

t.test('a restart posts open alerts again at once, several in one post; silenced and pending ones wait; a failed re-post is retried next round', async t => {
  const h = await alertsSetup(t, { webhook: { baseDelayMs: 10 * MIN } })
  // 1st "fired" accepted, 2nd refused (503: retried in 10 min), then the 1st re-post refused.
  const am = await startAlertmanager(t, h.clock.now, [200, 503, 200, 503])
  await h.store.alerts.updateRule(2, { webhookUrl: am.url, webhookFormat: 'alertmanager-api' }, NOW)
  await breaches(h, ['acme', 'beta'])
  const dispatcher = h.loop.webhooks!
  dispatcher.start()
  const [acme, beta] = (await h.loop.evaluate()).fired
  await dispatcher.settled()
  t.same(am.posts.map(p => [p.status, p.alerts.map(a => a.labels.subject)]), [[200, ['acme']], [503, ['beta']]])

  await h.clock.advance(MIN)
  await dispatcher.settled()
  t.same(am.posts.at(-1)!.alerts.map(a => a.labels.subject), ['acme'], 'beta\'s "fired" is still pending: left to its retry')
  t.same(am.posts.at(-1)!.status, 200)

  await h.clock.advance(MIN)
  await dispatcher.settled()
  t.equal(am.posts.at(-1)!.status, 503, 'this re-post was refused')
  t.ok(h.lines.some(l => l.msg === 'alertmanager re-post failed; the next round retries'), 'and logged')
  await h.clock.advance(MIN)
  await dispatcher.settled()
  t.same([am.posts.at(-1)!.status, am.posts.at(-1)!.at, am.posts.at(-1)!.alerts.map(a => a.labels.subject)], [200, NOW + 3 * MIN, ['acme']], 'the next round posts it')

  await h.store.alerts.silenceEvent(acme!.id, NOW + 20 * MIN)
  for (let i = 0; i < 7; i++) { // beta's retry at +10 min delivers its "fired"
    await h.clock.advance(MIN)
    await dispatcher.settled()
  }
  const sinceSilence = am.posts.filter(p => p.at > NOW + 3 * MIN)
  t.ok(sinceSilence.length > 0)
  t.notOk(sinceSilence.some(p => p.alerts.some(a => a.labels.subject === 'acme')), 'a silenced event is not posted again')
  t.same(sinceSilence.at(-1)!.alerts.map(a => a.labels.subject), ['beta'])
  await h.store.alerts.silenceEvent(acme!.id, NOW + 10 * MIN) // the silence ends now

  await dispatcher.stop()
  const count = am.posts.length
  await h.clock.advance(10 * MIN)
  t.equal(am.posts.length, count, 'stopped: nothing posted')
  t.equal(am.firing(h.clock.now()), 0, 'so Alertmanager has expired both')
  dispatcher.start()
  await dispatcher.settled()
  t.equal(am.posts.length, count + 1, 'start: one post at once')
  t.same(am.posts.at(-1)!.alerts.map(a => [a.labels.subject, a.endsAt]),
    [['acme', iso(h.clock.now() + 4 * MIN)], ['beta', iso(h.clock.now() + 4 * MIN)]], 'both open alerts in it, firing again')
  t.equal(beta!.resolvedAt, null)
})

t.test('the re-post interval is an option; endsAt is 4 × it', async t => {
  const h = await alertsSetup(t, { webhook: { alertmanagerResendMs: 15_000 } })
  const am = await startAlertmanager(t, h.clock.now)
  await h.store.alerts.updateRule(2, { webhookUrl: am.url, webhookFormat: 'alertmanager-api' }, NOW)
  await breaches(h, ['acme'])
  h.loop.webhooks!.start()
  await h.loop.evaluate()
  await h.loop.webhooks!.settled()
  await h.clock.advance(15_000)
  await h.loop.webhooks!.settled()
  t.same(am.posts.map(p => [p.at, p.alerts[0]!.endsAt]), [[NOW, iso(NOW + 60_000)], [NOW + 15_000, iso(NOW + 75_000)]])
})
