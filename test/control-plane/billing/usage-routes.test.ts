import t, { type Test } from 'tap'
import { billingHarness } from './billing-harness.ts'
import { expectCents, seedScenario } from './billing-scenario.ts'

async function setup (t: Test) {
  const h = billingHarness()
  t.teardown(h.close)
  return { h, ...(await seedScenario(h.fixtures)) }
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)

t.test('GET /api/tenants/:id/usage: events, by GPU type, by UTC day; running jobs up to now', async t => {
  const { h, acme, jobs } = await setup(t)
  const res = await h.get(`/api/tenants/${acme}/usage?days=3`, 'read')
  t.equal(res.status, 200)
  const b = res.body
  t.match(b, { tenant_id: acme, tenant_name: 'Acme ML', days: 3, currency: 'usd', window: { start: '2026-05-08T00:00:00.000Z', end: '2026-05-10T15:20:00.000Z' } })

  // In the window [05-08, now): the B200 and the second H100 run up to now; the A6000 is whole.
  const ms = {
    H100: 3_600_999 + 37_063_123 + 51_600_000,
    A100: 17_331_224,
    B200: 14_399_999 + 55_200_000,
    A6000: 10_800_000,
  }
  t.same(b.by_gpu_type.map((x: any) => [x.gpu_type, x.gpu_seconds, x.amount_cents]), [
    ['A100', ms.A100 / 1000, expectCents(ms.A100, 221)],
    ['A6000', ms.A6000 / 1000, expectCents(ms.A6000, 128)],
    ['B200', ms.B200 / 1000, expectCents(ms.B200, 599)],
    // Priced per UTC day (issue 14): 05-08's 40 664 122 ms and today's 51 600 000 ms apart.
    ['H100', ms.H100 / 1000, expectCents(40_664_122, 476) + expectCents(51_600_000, 476)],
    ['NVIDIA L40S', 7200.5, null],
  ])
  const total = expectCents(ms.A100, 221) + expectCents(ms.A6000, 128) + expectCents(ms.B200, 599) + expectCents(40_664_122, 476) + expectCents(51_600_000, 476)
  t.equal(b.total_amount_cents, total)
  t.equal(b.total_amount, total / 100)
  t.equal(b.unpriced_gpu_seconds, 7200.5)

  t.same(b.by_day.map((d: any) => d.date), ['2026-05-08', '2026-05-09', '2026-05-10'])
  t.equal(sum(b.by_day.map((d: any) => d.amount_cents)), total, 'days sum to the total exactly')
  t.equal(sum(b.by_day.map((d: any) => d.gpu_seconds * 1000)), sum(Object.values(ms)) + 7_200_500, 'every millisecond lands on one day')
  const a100Days = b.by_day.map((d: any) => d.by_gpu_type.find((x: any) => x.gpu_type === 'A100')?.gpu_seconds ?? 0)
  t.same(a100Days, [6412.223, 10_919.001, 0], 'the A100 job splits at midnight to the millisecond')

  const events = b.events
  t.same(events.map((e: any) => e.job_id), [jobs.finetune, jobs.odd, jobs.embed, jobs.running, jobs.render, jobs.old], 'oldest first; other tenants absent')
  t.match(events[0], { job_name: 'llama-3-70b-finetune', gpu_type: 'H100', gpu_model: 'NVIDIA H100 80GB HBM3', gpu_count: 2, start: '2026-05-08T00:00:00.000Z', end: '2026-05-08T10:17:43.123Z', running: false })
  t.match(events[3], { job_name: 'still-running', gpu_type: 'B200', running: true, end: '2026-05-10T15:20:00.000Z', gpu_seconds: ms.B200 / 1000 })
  t.match(events[1], { gpu_type: 'NVIDIA L40S', cost: null, cost_cents: null })
  t.equal(sum(events.map((e: any) => e.cost_cents ?? 0)), total, 'events sum to the total exactly')
  t.equal(b.events_truncated, false)
})

t.test('usage: default 30 days, one entry per day; unknown and hidden tenants are 404', async t => {
  const { h, acme, nova } = await setup(t)
  const res = await h.get(`/api/tenants/${acme}/usage`, 'read')
  t.equal(res.body.days, 30)
  t.equal(res.body.by_day.length, 30)
  t.equal(res.body.by_day[0].date, '2026-04-11')
  t.equal((await h.get(`/api/tenants/${acme}/usage`, `read;tenant:${acme}`)).status, 200, 'own tenant')
  const other = await h.get(`/api/tenants/${nova}/usage`, `read;tenant:${acme}`)
  t.equal(other.status, 404)
  t.match(other.body, { statusCode: 404, code: 'TENANT_NOT_FOUND' })
  t.equal((await h.get('/api/tenants/999/usage', 'read')).body.code, other.body.code, 'the same answer as a tenant that does not exist')
  t.equal((await h.get('/api/tenants/0/usage', 'read')).status, 404)
  t.equal((await h.get(`/api/tenants/${acme}/usage`, '')).status, 401)
})

t.test('GET /api/dashboard/revenue: per tenant, by GPU type, daily trend, total, invoiced alongside', async t => {
  const { h, acme, nova } = await setup(t)
  const inv = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  const res = await h.get('/api/dashboard/revenue?days=3', 'read')
  t.equal(res.status, 200)
  const b = res.body
  const usage = (await h.get(`/api/tenants/${acme}/usage?days=3`, 'read')).body
  const novaCents = expectCents(3_600_000, 476)
  t.match(b, { days: 3, currency: 'usd', window: usage.window })
  t.same(b.per_tenant.map((p: any) => [p.tenant_id, p.tenant_name, p.revenue_cents, p.invoiced.amount_cents, p.invoiced.count]), [
    [acme, 'Acme ML', usage.total_amount_cents, inv.body.invoice.amount_cents, 1],
    [nova, 'NovAI Labs', novaCents, 0, 0],
  ])
  t.equal(b.total_revenue_cents, usage.total_amount_cents + novaCents)
  t.equal(b.total_revenue, b.total_revenue_cents / 100)
  t.equal(sum(b.by_gpu_type.map((x: any) => x.revenue_cents ?? 0)), b.total_revenue_cents)
  t.equal(sum(b.daily_trend.map((x: any) => x.revenue_cents)), b.total_revenue_cents)
  t.same(b.daily_trend.map((x: any) => x.date), ['2026-05-08', '2026-05-09', '2026-05-10'])
  t.match(b.by_gpu_type.find((x: any) => x.gpu_type === 'NVIDIA L40S'), { priced: false, revenue: null, gpu_hours: 2 })
  t.match(b.invoiced, { amount_cents: inv.body.invoice.amount_cents, count: 1 })
  // The tenant-less job: 30 min of A100, shown apart, not revenue.
  t.match(b.unattributed, { gpu_hours: 0.5, revenue_cents: expectCents(1_800_000, 221) })

  const bound = await h.get('/api/dashboard/revenue?days=3', `read;tenant:${nova}`)
  t.same(bound.body.per_tenant.map((p: any) => p.tenant_id), [nova], 'a tenant-bound key sees its own tenant only')
  t.equal(bound.body.total_revenue_cents, novaCents)
  t.match(bound.body, { invoiced: { count: 0 }, unattributed: { gpu_hours: 0, revenue_cents: 0 } })

  const def = await h.get('/api/dashboard/revenue', 'read')
  t.equal(def.body.days, 30)
  t.equal(def.body.daily_trend.length, 30)
})
