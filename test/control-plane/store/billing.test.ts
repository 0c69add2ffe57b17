import t from 'tap'
import { join } from 'node:path'
import { openBillingStore } from '../billing/billing-fixtures.ts'
import { billingStoreSuite } from './billing-suite.ts'

t.test('sqlite (in memory)', async t => {
  billingStoreSuite(t, async () => openBillingStore())
})

t.test('sqlite file: usage is metered from durable intervals, the same after a restart', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const now = Date.parse('2026-05-10T15:20:00Z')
  const first = openBillingStore(path)
  const a = await first.fixtures.tenant('a')
  const [g] = await first.fixtures.gpus(['NVIDIA H100 80GB HBM3'])
  const job = await first.fixtures.job({ tenantId: a })
  await first.fixtures.assign(job, g!, Date.parse('2026-05-10T01:02:03.456Z'), null)
  const q = { from: Date.parse('2026-05-10T00:00:00Z'), to: now, now, tenantId: a }
  const before = await first.store.billing.meterIntervals(q)
  await first.store.close()

  const second = openBillingStore(path)
  t.teardown(() => second.store.close())
  t.same(await second.store.billing.meterIntervals(q), before, 'same intervals after a restart')
  t.equal((await second.store.billing.listRates()).length, 4, 'migrations ran once; the card is not seeded twice')
})

t.test('sqlite file, two handles (replicas on one database): concurrent invoice creation yields one invoice', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const one = openBillingStore(path)
  const two = openBillingStore(path)
  t.teardown(async () => { await one.store.close(); await two.store.close() })
  const a = await one.fixtures.tenant('a')
  const input = {
    tenantId: a, tenantName: 'a', periodStart: 0, periodEnd: 86_400_000, days: 1, totalGpuMs: 0, unpricedGpuMs: 0,
    amountCents: 0, currency: 'usd', lineItems: [], createdAt: 1,
  }
  const results = await Promise.all([1, 2, 3, 4].map(i => (i % 2 === 0 ? one : two).store.billing.createInvoice(input)))
  t.equal(results.filter(r => r.created).length, 1)
  t.equal(new Set(results.map(r => r.invoice.id)).size, 1)
  t.equal((await two.store.billing.listInvoices()).length, 1)
})
