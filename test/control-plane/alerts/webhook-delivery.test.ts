import t, { type Test } from 'tap'
import { join } from 'node:path'
import { closedUrl } from '../../helpers/closed-url.ts'
import { NOW, alertsSetup, startReceiver } from './alerts-harness.ts'

/** One tenant at 100 % of its quota: the quota rule fires on the first pass. */
async function breachQuota (h: Awaited<ReturnType<typeof alertsSetup>>) {
  const a = await h.fleet.node({ hostname: 'a', gpus: 1 }, NOW)
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 1 })
  const job = h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', submittedAt: NOW })
  h.rows.assign(job, a.gpuIds[0]!, NOW)
  return { gpuId: a.gpuIds[0]!, job, acme }
}

async function advanceAndSettle (h: Awaited<ReturnType<typeof alertsSetup>>, ms: number) {
  await h.clock.advance(ms)
  await h.loop.webhooks!.settled()
}

t.test('fails twice, then succeeds: delivered once, after 1 s and 2 s of backoff on the injected clock', async t => {
  const receiver = await startReceiver(t, [500, 503])
  const h = await alertsSetup(t, { webhook: { baseDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: 5 } })
  const { acme } = await breachQuota(h)
  await h.store.alerts.updateRule(2, { webhookUrl: receiver.url }, NOW)
  h.loop.start()

  const pass = await h.loop.evaluate()
  t.equal(pass.fired.length, 1)
  await h.loop.webhooks!.settled()
  t.same(receiver.received.map(r => r.status), [500], 'first attempt at once')
  t.match((await h.store.alerts.listDeliveries())[0], { status: 'pending', attempts: 1, lastError: 'HTTP 500', nextAttemptAt: NOW + 1000 })

  await advanceAndSettle(h, 999)
  t.equal(receiver.received.length, 1, 'not before 1 s')
  await advanceAndSettle(h, 1)
  t.same(receiver.received.map(r => r.status), [500, 503], 'second attempt after 1 s')
  await advanceAndSettle(h, 1999)
  t.equal(receiver.received.length, 2, 'not before 2 more s')
  await advanceAndSettle(h, 1)
  t.same(receiver.received.map(r => r.status), [500, 503, 200], 'third attempt after 2 s succeeds')
  t.equal(receiver.delivered().length, 1, 'delivered once')
  await advanceAndSettle(h, 600_000)
  t.equal(receiver.received.length, 3, 'nothing more is sent')

  const [d] = await h.store.alerts.listDeliveries()
  t.match(d, { status: 'delivered', attempts: 3, deliveredAt: NOW + 3000, lastError: null })
  const body = receiver.delivered()[0]?.body
  t.same(body, {
    event: 'fired',
    event_id: pass.fired[0]?.id,
    delivery_id: d?.id,
    rule: { id: 2, rule_type: 'quota_breach', threshold: 90 },
    subject: { type: 'tenant', id: acme, name: 'acme' },
    tenant_id: acme,
    message: 'Tenant acme uses 1 of 1 GPUs (100% of quota, threshold 90%)',
    fired_at: new Date(NOW).toISOString(),
    resolved_at: null,
  }, 'the JSON body: {event, rule, subject, message, fired_at, resolved_at} + ids for de-duplication')
  t.match(receiver.delivered()[0]?.headers, { 'content-type': 'application/json', 'x-gpufleet-event': 'fired', 'x-gpufleet-delivery': String(d?.id) })
  t.ok(h.lines.some(l => l.level === 'warn' && l.msg === 'alert webhook failed; will retry'))
  t.notOk(JSON.stringify(h.lines).includes('s3cr3t'), 'the URL\'s secret path is never logged')
})

t.test('resolution is POSTed too, after the firing', async t => {
  const receiver = await startReceiver(t)
  const h = await alertsSetup(t, { webhook: {} })
  const { job, gpuId } = await breachQuota(h)
  await h.store.alerts.updateRule(2, { webhookUrl: receiver.url }, NOW)
  h.loop.start()
  await h.loop.evaluate()
  h.rows.release(job, gpuId, NOW + 10_000)
  h.clock.set(NOW + 30_000)
  await h.loop.evaluate()
  await h.loop.webhooks!.settled()
  t.same(receiver.received.map(r => [r.body.event, r.body.resolved_at]), [['fired', null], ['resolved', new Date(NOW + 30_000).toISOString()]])
})

t.test('evaluation never waits for a receiver', async t => {
  const receiver = await startReceiver(t)
  receiver.hold()
  const h = await alertsSetup(t, { webhook: {} })
  await breachQuota(h)
  await h.store.alerts.updateRule(2, { webhookUrl: receiver.url }, NOW)
  h.loop.start()
  const arrived = receiver.arrival()
  t.equal((await h.loop.evaluate()).fired.length, 1, 'the pass completed')
  await arrived
  t.equal(receiver.received.length, 0, 'while its webhook POST is still unanswered')
  h.clock.set(NOW + 30_000)
  await h.loop.evaluate()
  t.pass('and the next pass runs too')
  receiver.release()
  await h.loop.webhooks!.settled()
  t.equal(receiver.delivered().length, 1)
})

t.test('a 4xx (other than 408/429) is final; running out of attempts is final; both logged', async t => {
  const gone = await startReceiver(t, [410])
  const h = await alertsSetup(t, { webhook: { maxAttempts: 3, baseDelayMs: 1000 } })
  await breachQuota(h)
  await h.store.alerts.updateRule(2, { webhookUrl: gone.url }, NOW)
  const dead = await closedUrl()
  await h.store.alerts.updateRule(3, { webhookUrl: `${dead}/hook` }, NOW)
  await h.fleet.node({ hostname: 'hot', gpus: 1 }, NOW)
  await h.fleet.reading((await h.store.fleet.listGpus()).at(-1)!.id, { temperatureC: 99 }, NOW)
  h.loop.start()
  await h.loop.evaluate()
  await h.loop.webhooks!.settled()
  await advanceAndSettle(h, 1000)
  await advanceAndSettle(h, 2000)
  await advanceAndSettle(h, 600_000)
  const deliveries = await h.store.alerts.listDeliveries()
  t.same(deliveries.map(d => [d.url.includes('/hook/'), d.status, d.attempts]), [[true, 'failed', 1], [false, 'failed', 3]])
  t.equal(gone.received.length, 1)
  t.match(deliveries[1]?.lastError, /^(ECONNREFUSED|UND_ERR)/)
  t.equal(h.lines.filter(l => l.msg === 'alert webhook failed; giving up').length, 2)
})

t.test('a restart resumes pending deliveries from the store', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const receiver = await startReceiver(t, [503])
  await t.test('first run: the receiver answers 503, the process stops', async t => {
    const h = await alertsSetup(t, { path, webhook: { baseDelayMs: 1000 } })
    await breachQuota(h)
    await h.store.alerts.updateRule(2, { webhookUrl: receiver.url }, NOW)
    h.loop.start()
    await h.loop.evaluate()
    await h.loop.webhooks!.settled()
    t.match(await h.store.alerts.listDeliveries(), [{ status: 'pending', attempts: 1, nextAttemptAt: NOW + 1000 }])
  })
  await t.test('second run (store reopened): start sends what is due, once', async t => {
    const h = await alertsSetup(t, { path, webhook: { baseDelayMs: 1000 } })
    h.clock.set(NOW + 1000)
    h.loop.start()
    await h.loop.webhooks!.settled()
    t.same(receiver.received.map(r => [r.status, r.body.event]), [[503, 'fired'], [200, 'fired']])
    t.match(await h.store.alerts.listDeliveries(), [{ status: 'delivered', attempts: 2 }])
    t.same((await h.loop.evaluate()).fired, [], 'the open event is not fired again')
    await h.loop.webhooks!.settled()
    t.equal(receiver.received.length, 2)
  })
})
