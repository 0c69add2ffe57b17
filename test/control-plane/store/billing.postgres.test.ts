import t from 'tap'
import { usageFixturesWith } from '../billing/billing-fixtures.ts'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { billingStoreSuite } from './billing-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  billingStoreSuite(t, async () => {
    const { store, sql } = await pg.openStoreWithSql()
    return { store, fixtures: usageFixturesWith(store, sql) }
  })
})

t.test('postgres, two stores (replicas) on one database: concurrent invoice creation yields one invoice', async t => {
  const pg = await postgresTestDatabase(t)
  const [one, two] = await pg.openTwoReplicas(t)
  const a = (await one.tenants.create({ name: 'a', gpuQuota: 1 }, 0))!.id
  const input = {
    tenantId: a, tenantName: 'a', periodStart: 0, periodEnd: 86_400_000, days: 1, totalGpuMs: 0, unpricedGpuMs: 0,
    amountCents: 0, currency: 'usd', lineItems: [], createdAt: 1,
  }
  const results = await Promise.all([1, 2, 3, 4].map(i => (i % 2 === 0 ? one : two).billing.createInvoice(input)))
  t.equal(results.filter(r => r.created).length, 1)
  t.equal(new Set(results.map(r => r.invoice.id)).size, 1)
  t.equal((await two.billing.listInvoices()).length, 1)
})
