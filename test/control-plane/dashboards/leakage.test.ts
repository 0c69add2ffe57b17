import t, { type Test } from 'tap'
import { H, MIN, NOW } from '../alerts/alerts-harness.ts'
import { insightApp } from '../alerts/insight-app.ts'

const D = 24 * H
const iso = (ms: number) => new Date(ms).toISOString()

/**
 * H100 node a, A100 node b (card: H100 $4.76, A100 $2.21 per GPU-hour).
 * - acme holds a/0 (5 %, idle) and a/1 (60 %) since 2 h ago; it ran a/3 for 10 h three days
 *   ago and was invoiced $40.00 (metered $47.60: under-billed) and, paid, $47.00 (within 5 %).
 * - a tenant-less job took a/2 10 min ago at 0 % (held too briefly to be leakage).
 * - gamma holds b/0 at 20 % for 3 h (underutilized) and was invoiced $10.00 for a period it used nothing.
 * - an invoice older than 90 days with a gap is not looked at.
 */
async function leakyFleet (t: Test) {
  const h = await insightApp(t)
  const a = await h.fleet.node({ hostname: 'a', gpus: 4 }, NOW - 4 * D)
  const b = await h.fleet.node({ hostname: 'b', gpus: 1, model: 'NVIDIA A100-SXM4-80GB' }, NOW - 4 * D)
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 8 })
  const gamma = h.rows.tenant({ name: 'gamma', gpuQuota: 8 })

  const j1 = h.rows.job({ clusterId: a.clusterId, tenantId: acme, name: 'train', status: 'running', gpuCount: 2, submittedAt: NOW - 2 * H })
  h.rows.assign(j1, a.gpuIds[0]!, NOW - 2 * H)
  h.rows.assign(j1, a.gpuIds[1]!, NOW - 2 * H)
  await h.fleet.samples(a.nodeId, 0, NOW - H, NOW, MIN, 5)
  await h.fleet.samples(a.nodeId, 1, NOW - H, NOW, MIN, 60)

  const j2 = h.rows.job({ clusterId: a.clusterId, status: 'running', submittedAt: NOW - 10 * MIN })
  h.rows.assign(j2, a.gpuIds[2]!, NOW - 10 * MIN)
  await h.fleet.samples(a.nodeId, 2, NOW - 10 * MIN, NOW, MIN, 0)

  const j3 = h.rows.job({ clusterId: b.clusterId, tenantId: gamma, name: 'serve', status: 'running', submittedAt: NOW - 3 * H })
  h.rows.assign(j3, b.gpuIds[0]!, NOW - 3 * H)
  await h.fleet.samples(b.nodeId, 0, NOW - 3 * H, NOW, 5 * MIN, 20)

  const j0 = h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', submittedAt: NOW - 3 * D })
  h.rows.assign(j0, a.gpuIds[3]!, NOW - 3 * D)
  h.rows.release(j0, a.gpuIds[3]!, NOW - 3 * D + 10 * H)
  h.rows.setJobStatus(j0, 'completed', NOW - 3 * D + 10 * H)
  const under = h.rows.invoice({ tenantId: acme, periodStart: NOW - 3 * D, periodEnd: NOW - 2 * D, amountCents: 4000 })
  h.rows.invoice({ tenantId: acme, periodStart: NOW - 3 * D, periodEnd: NOW - 2 * D, amountCents: 4700, status: 'paid' })
  const over = h.rows.invoice({ tenantId: gamma, periodStart: NOW - 5 * D, periodEnd: NOW - 4 * D, amountCents: 1000, status: 'overdue' })
  h.rows.invoice({ tenantId: gamma, periodStart: NOW - 130 * D, periodEnd: NOW - 100 * D, amountCents: 999_999 })
  return { h, a, b, acme, gamma, j1, under, over }
}

t.test('GET /api/dashboard/leakage: the three findings, each from stored telemetry and usage, with estimated loss', async t => {
  const { h, a, acme, gamma, j1, under, over } = await leakyFleet(t)
  const res = await h.get('/api/dashboard/leakage', 'read')
  t.equal(res.status, 200)
  t.same(res.body.idle_allocated_gpus, [{
    gpu_id: a.gpuIds[0], node_id: a.nodeId, hostname: 'a', gpu_index: 0, model: 'NVIDIA H100 80GB HBM3', job_id: j1, job_name: 'train',
    tenant_id: acme, tenant_name: 'acme', allocated_since: iso(NOW - 2 * H), mean_utilization_pct: 5, samples: 30,
    rate_per_gpu_hour: 4.76, estimated_loss_usd: 2.38,
  }], 'a/0 only: a/1 is busy, a/2 was taken 10 min ago')
  t.same(res.body.billing_gaps, [
    {
      invoice_id: under, tenant_id: acme, tenant_name: 'acme', invoice_status: 'pending', period_start: iso(NOW - 3 * D), period_end: iso(NOW - 2 * D),
      metered_gpu_hours: 10, unpriced_gpu_hours: 0, metered_amount: 47.6, billed_amount: 40, discrepancy_pct: 16, direction: 'under_billed', estimated_loss_usd: 7.6,
    },
    {
      invoice_id: over, tenant_id: gamma, tenant_name: 'gamma', invoice_status: 'overdue', period_start: iso(NOW - 5 * D), period_end: iso(NOW - 4 * D),
      metered_gpu_hours: 0, unpriced_gpu_hours: 0, metered_amount: 0, billed_amount: 10, discrepancy_pct: 100, direction: 'over_billed', estimated_loss_usd: 0,
    },
  ], 'the $47.00 invoice is within 5 %; the 100-day-old one is out of the lookback')
  t.same(res.body.underutilized_tenants, [{
    tenant_id: gamma, tenant_name: 'gamma', gpu_hours: 3, mean_utilization_pct: 20, samples: 36, cost_usd: 6.63, estimated_loss_usd: 5.3,
  }], 'acme averages (5 + 60) / 2 = 32.5 % over its held GPUs: not underutilized')
  t.same(res.body.totals, { idle_allocated_gpus: 1, billing_gaps: 2, underutilized_tenants: 1, estimated_loss_usd: 15.28 })
  t.same(res.body.windows, { idle_minutes: 30, idle_below_pct: 10, underutilized_hours: 24, underutilized_below_pct: 30, billing_gap_pct: 5, billing_lookback_days: 90 })
  t.equal(res.body.generated_at, iso(NOW))
})

t.test('findings follow the data: a/0 gets busy and leaves the list, a/2 crosses 30 idle minutes and joins it', async t => {
  const { h, a, acme } = await leakyFleet(t)
  await h.fleet.samples(a.nodeId, 0, NOW, NOW + 20 * MIN, MIN, 90)
  await h.fleet.samples(a.nodeId, 2, NOW, NOW + 20 * MIN, MIN, 0)
  h.clock.set(NOW + 20 * MIN)
  h.rows.invoice({ tenantId: acme, periodStart: NOW - 4 * D, periodEnd: NOW - 3 * D, amountCents: 0, status: 'paid' })
  const res = await h.get('/api/dashboard/leakage')
  t.same(res.body.idle_allocated_gpus.map((x: any) => [x.gpu_index, x.tenant_id, x.mean_utilization_pct, x.samples]), [[2, null, 0, 30]],
    'a/0 averaged (10 × 5 + 20 × 90) / 30 ≈ 61.7 %; a/2, now held 30 min at 0 %, is idle allocated')
  t.equal(res.body.billing_gaps.length, 2, 'a zero invoice for a period without usage is no gap')
})

t.test('a held GPU with minutes of [N/A] utilization (MIG) is not idle allocated, however low its known minutes were', async t => {
  const h = await insightApp(t)
  const a = await h.fleet.node({ hostname: 'mig', gpus: 2 }, NOW - 2 * D)
  const job = h.rows.job({ clusterId: a.clusterId, status: 'running', gpuCount: 2, submittedAt: NOW - 2 * H })
  h.rows.assign(job, a.gpuIds[0]!, NOW - 2 * H)
  h.rows.assign(job, a.gpuIds[1]!, NOW - 2 * H)
  // GPU 0: 0 % until MIG came on 20 min ago, [N/A] (null) since, drawing 432 W. GPU 1: 3 % throughout.
  await h.fleet.samples(a.nodeId, 0, NOW - H, NOW, 30_000, at => (at < NOW - 20 * MIN ? 0 : null), { powerDrawW: 432 })
  await h.fleet.samples(a.nodeId, 1, NOW - H, NOW, 30_000, 3)
  const res = await h.get('/api/dashboard/leakage')
  t.same(res.body.idle_allocated_gpus.map((x: any) => x.gpu_index), [1], 'only the GPU known to be idle')
  t.equal((await h.get('/api/dashboard/kpis')).body.revenue_leakage.idle_allocated_gpus, 1, 'the KPI agrees')
})

t.test('a healthy fleet has no findings', async t => {
  const h = await insightApp(t)
  const a = await h.fleet.node({ hostname: 'a', gpus: 2 }, NOW - 2 * D)
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 2 })
  const job = h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', gpuCount: 2, submittedAt: NOW - 2 * D })
  for (const [i, g] of a.gpuIds.entries()) {
    h.rows.assign(job, g, NOW - 2 * D)
    await h.fleet.samples(a.nodeId, i, NOW - D, NOW, 10 * MIN, 85)
  }
  // Two GPUs for 24 h at $4.76: exactly what was invoiced.
  h.rows.invoice({ tenantId: acme, periodStart: NOW - 2 * D, periodEnd: NOW - D, amountCents: 2 * 24 * 476 })
  const res = await h.get('/api/dashboard/leakage')
  t.same([res.body.idle_allocated_gpus, res.body.billing_gaps, res.body.underutilized_tenants], [[], [], []])
  t.same(res.body.totals, { idle_allocated_gpus: 0, billing_gaps: 0, underutilized_tenants: 0, estimated_loss_usd: 0 })
  const empty = await insightApp(t)
  t.same((await empty.get('/api/dashboard/leakage')).body.totals, { idle_allocated_gpus: 0, billing_gaps: 0, underutilized_tenants: 0, estimated_loss_usd: 0 })
})

t.test('tenant-bound keys see their own tenant\'s findings only', async t => {
  const { h, acme, gamma } = await leakyFleet(t)
  const mine = (await h.get('/api/dashboard/leakage', `read;tenant:${acme}`)).body
  t.same([mine.idle_allocated_gpus.map((x: any) => x.tenant_id), mine.billing_gaps.map((x: any) => x.tenant_id), mine.underutilized_tenants], [[acme], [acme], []])
  t.same(mine.totals, { idle_allocated_gpus: 1, billing_gaps: 1, underutilized_tenants: 0, estimated_loss_usd: 9.98 })
  const theirs = (await h.get('/api/dashboard/leakage', `read;tenant:${gamma}`)).body
  t.same([theirs.idle_allocated_gpus, theirs.billing_gaps.map((x: any) => x.tenant_id), theirs.underutilized_tenants.map((x: any) => x.tenant_id)], [[], [gamma], [gamma]])
  const nobody = (await h.get('/api/dashboard/leakage', 'read;tenant:999')).body
  t.same(nobody.totals, { idle_allocated_gpus: 0, billing_gaps: 0, underutilized_tenants: 0, estimated_loss_usd: 0 })
  t.equal((await h.get('/api/dashboard/leakage', '')).status, 401)
  t.equal((await h.get('/api/dashboard/leakage', 'ingest')).status, 403)
})

t.test('overlapping invoices: time an earlier invoice billed is not a gap of the later one (it never bills it twice)', async t => {
  const h = await insightApp(t)
  const a = await h.fleet.node({ hostname: 'a', gpus: 2 }, NOW - 4 * D)
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 8 })
  // 10 h on day −3 and 10 h on day −2, at $4.76: $47.60 each.
  const job = h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'completed', submittedAt: NOW - 3 * D })
  h.rows.assign(job, a.gpuIds[0]!, NOW - 3 * D)
  h.rows.release(job, a.gpuIds[0]!, NOW - 3 * D + 10 * H)
  const job2 = h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'completed', submittedAt: NOW - 2 * D })
  h.rows.assign(job2, a.gpuIds[1]!, NOW - 2 * D)
  h.rows.release(job2, a.gpuIds[1]!, NOW - 2 * D + 10 * H)
  // A 1-day invoice of day −2, then a 2-day invoice of days −3..−2 that billed day −3 only.
  h.rows.invoice({ tenantId: acme, periodStart: NOW - 2 * D, periodEnd: NOW - D, amountCents: 4760 })
  const two = h.rows.invoice({ tenantId: acme, periodStart: NOW - 3 * D, periodEnd: NOW - D, amountCents: 4760 })
  t.same((await h.get('/api/dashboard/leakage', 'read')).body.billing_gaps, [], 'no false under-billing')
  // A later 2-day invoice of days −4..−3 that billed day −3 short: found, against day −4 and −3 less nothing.
  const short = h.rows.invoice({ tenantId: acme, periodStart: NOW - 4 * D, periodEnd: NOW - 2 * D, amountCents: 1000 })
  t.match((await h.get('/api/dashboard/leakage', 'read')).body.billing_gaps, [{
    invoice_id: short, metered_gpu_hours: 0, metered_amount: 0, billed_amount: 10, direction: 'over_billed',
  }], 'day −3 is on invoice `two` already, so this one should have billed nothing')
  t.not(short, two)
})
