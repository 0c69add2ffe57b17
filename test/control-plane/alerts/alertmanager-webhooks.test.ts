import t, { type Test } from 'tap'
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { NOW, alertsSetup, startReceiver } from './alerts-harness.ts'
import { insightApp } from './insight-app.ts'
import { FIRING_VALID_MS, labelsFingerprint } from '../../../control-plane/alerts/alertmanager-payloads.ts'

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

/**
 * A small Alertmanager stand-in on loopback: POST /api/v2/alerts with the v2 API's
 * postableAlerts checks (an array; each with a labels map holding alertname, string
 * annotations, RFC 3339 startsAt/endsAt), 400 otherwise, as Alertmanager answers.
 */
async function startAlertmanager (t: Test) {
  const received: unknown[] = []
  const app = new Hono()
  app.post('/api/v2/alerts', async c => {
    const body = await c.req.json() as unknown
    const ok = Array.isArray(body) && body.length > 0 && body.every((a: any) =>
      typeof a?.labels?.alertname === 'string' && a.labels.alertname !== '' &&
      Object.values(a.labels).every(v => typeof v === 'string') &&
      Object.values(a.annotations ?? {}).every(v => typeof v === 'string') &&
      (a.startsAt === undefined || RFC3339.test(a.startsAt)) && (a.endsAt === undefined || RFC3339.test(a.endsAt)))
    if (!ok) return c.json({ code: 400, message: 'invalid postable alerts' }, 400)
    received.push(body)
    return c.body(null, 200)
  })
  const server = await new Promise<ReturnType<typeof serve>>(resolve => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/alerts`, received }
}

/** One tenant at 100 % of its quota fires quota_breach (rule 2); releasing its GPU resolves it. */
async function quotaBreach (h: Awaited<ReturnType<typeof alertsSetup>>) {
  const a = await h.fleet.node({ hostname: 'a', gpus: 1 }, NOW)
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 1 })
  const job = h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', submittedAt: NOW })
  h.rows.assign(job, a.gpuIds[0]!, NOW)
  h.loop.start()
  const fired = (await h.loop.evaluate()).fired[0]!
  await h.loop.webhooks!.settled()
  h.rows.release(job, a.gpuIds[0]!, NOW + 10_000)
  h.clock.set(NOW + 30_000)
  await h.loop.evaluate()
  await h.loop.webhooks!.settled()
  return { acme, eventId: fired.id }
}

t.test('format "alertmanager": Alertmanager\'s webhook_config payload (version 4), firing then resolved', async t => {
  const receiver = await startReceiver(t)
  const h = await alertsSetup(t, { webhook: {} })
  await h.store.alerts.updateRule(2, { webhookUrl: receiver.url, webhookFormat: 'alertmanager' }, NOW)
  const { acme, eventId } = await quotaBreach(h)
  const [firing, resolved] = receiver.delivered().map(r => r.body)
  const labels = { alertname: 'GpufleetQuotaBreach', rule_type: 'quota_breach', subject_type: 'tenant', subject_id: String(acme), subject: 'acme', source: 'gpufleet', tenant_id: String(acme) }
  const annotations = { summary: 'Tenant acme uses 1 of 1 GPUs (100% of quota, threshold 90%)', threshold: '90', event_id: String(eventId), rule_id: '2' }
  t.same(firing, {
    version: '4',
    groupKey: '{}:{alertname="GpufleetQuotaBreach"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'gpufleet',
    groupLabels: { alertname: 'GpufleetQuotaBreach' },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: '',
    alerts: [{ status: 'firing', labels, annotations, startsAt: new Date(NOW).toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: labelsFingerprint(labels) }],
  })
  t.match(firing.alerts[0].fingerprint, /^[0-9a-f]{16}$/)
  t.match(resolved, { version: '4', status: 'resolved', alerts: [{ status: 'resolved', labels, endsAt: new Date(NOW + 30_000).toISOString(), fingerprint: labelsFingerprint(labels) }] })
})

t.test('format "alertmanager-api": postable alerts an Alertmanager accepts; endsAt closes the resolved one', async t => {
  const am = await startAlertmanager(t)
  const h = await alertsSetup(t, { webhook: {} })
  await h.store.alerts.updateRule(2, { webhookUrl: am.url, webhookFormat: 'alertmanager-api' }, NOW)
  await quotaBreach(h)
  t.equal(am.received.length, 2, 'both accepted (200)')
  const [firing, resolved] = (am.received as any[][]).map(b => b[0])
  t.match(firing, { labels: { alertname: 'GpufleetQuotaBreach', subject: 'acme' }, annotations: { threshold: '90' }, startsAt: new Date(NOW).toISOString(), endsAt: new Date(NOW + FIRING_VALID_MS).toISOString() },
    'a firing alert stays firing for 4 min (re-posted every minute) unless resolved')
  t.match(resolved, { labels: firing.labels, endsAt: new Date(NOW + 30_000).toISOString() })
  t.same((await h.store.alerts.listDeliveries()).map(d => [d.format, d.status]), [['alertmanager-api', 'delivered'], ['alertmanager-api', 'delivered']])
})

t.test('the default stays gpufleet\'s own JSON', async t => {
  const receiver = await startReceiver(t)
  const h = await alertsSetup(t, { webhook: {} })
  await h.store.alerts.updateRule(2, { webhookUrl: receiver.url }, NOW)
  await quotaBreach(h)
  t.same(receiver.delivered().map(r => r.body.event), ['fired', 'resolved'])
})

t.test('PATCH /api/alerts/rules/:id webhook_format: set, shown with the webhook, checked, reset with it', async t => {
  const h = await insightApp(t)
  const bad = async (body: unknown, path: string) => {
    const res = await h.patch('/api/alerts/rules/2', body, 'admin')
    t.equal(res.status, 400, JSON.stringify(body))
    t.match(res.body, { code: 'VALIDATION_FAILED', details: { issues: [{ path }] } })
  }
  await bad({ webhook_format: 'alertmanager' }, 'webhook_format')
  await bad({ webhook_format: 'slack', webhook_url: 'http://127.0.0.1:9093/hook' }, 'webhook_format')
  await bad({ webhook_format: 'alertmanager-api', webhook_url: 'http://127.0.0.1:9093/hook' }, 'webhook_url')
  await bad({ webhook_format: 'alertmanager', webhook_url: null }, 'webhook_format')

  const set = await h.patch('/api/alerts/rules/2', { webhook_url: 'http://127.0.0.1:9093/api/v2/alerts', webhook_format: 'alertmanager-api' }, 'admin')
  t.equal(set.status, 200)
  t.match(set.body, { webhook_url: 'http://127.0.0.1:9093/api/v2/alerts', webhook_format: 'alertmanager-api' })
  t.equal((await h.get('/api/alerts/rules', 'read')).body[1].webhook_format, 'alertmanager-api', 'read keys see the format')
  await bad({ webhook_url: 'http://127.0.0.1:9093/elsewhere' }, 'webhook_url')
  const off = await h.patch('/api/alerts/rules/2', { webhook_url: null }, 'admin')
  t.equal(off.status, 200)
  t.notOk('webhook_format' in off.body, 'no webhook, no format')
  const again = await h.patch('/api/alerts/rules/2', { webhook_url: 'http://127.0.0.1:9093/hook' }, 'admin')
  t.equal(again.body.webhook_format, 'gpufleet', 'removing the webhook reset its format')
})
