import t from 'tap'
import { at, billingHarness } from './billing-harness.ts'

t.test('GET /api/rates: the seed card in dollars and cents', async t => {
  const h = billingHarness()
  t.teardown(h.close)
  const res = await h.get('/api/rates', 'read')
  t.equal(res.status, 200)
  t.same(res.body, [
    { gpu_type: 'A100', price_per_hour: 2.21, cents_per_gpu_hour: 221, currency: 'usd', updated_at: null },
    { gpu_type: 'A6000', price_per_hour: 1.28, cents_per_gpu_hour: 128, currency: 'usd', updated_at: null },
    { gpu_type: 'B200', price_per_hour: 5.99, cents_per_gpu_hour: 599, currency: 'usd', updated_at: null },
    { gpu_type: 'H100', price_per_hour: 4.76, cents_per_gpu_hour: 476, currency: 'usd', updated_at: null },
  ])
  t.equal((await h.get('/api/rates', 'read;tenant:3')).status, 200, 'tenant keys may read the card')
  t.equal((await h.get('/api/rates', '')).status, 401)
})

t.test('PUT /api/rates/:gpu_type: admin edits and adds; usage is priced with the new card at once', async t => {
  const h = billingHarness()
  t.teardown(h.close)
  const updated = await h.put('/api/rates/h100', { price_per_hour: 4.99 })
  t.equal(updated.status, 200)
  t.same(updated.body, { gpu_type: 'H100', price_per_hour: 4.99, cents_per_gpu_hour: 499, currency: 'usd', updated_at: new Date(h.now()).toISOString() })
  const added = await h.put('/api/rates/L40S', { cents_per_gpu_hour: 150 })
  t.equal(added.status, 201)
  t.match(added.body, { gpu_type: 'L40S', price_per_hour: 1.5 })
  t.equal((await h.put('/api/rates/RTX 6000', { price_per_hour: 0.1 })).status, 201, 'a key with a space')
  // Float dollars that are whole cents are accepted exactly (0.29 × 100 is 28.999… in binary).
  t.match((await h.put('/api/rates/T4', { price_per_hour: 0.29 })).body, { cents_per_gpu_hour: 29 })
  t.same(h.lines.filter(l => l.msg === 'rate set').map(l => l.obj.gpuType), ['H100', 'L40S', 'RTX 6000', 'T4'])

  const tenant = await h.fixtures.tenant('t')
  const [g] = await h.fixtures.gpus(['NVIDIA L40S'])
  const job = await h.fixtures.job({ tenantId: tenant })
  await h.fixtures.assign(job, g!, at('2026-05-10T00:00:00Z'), at('2026-05-10T02:00:00Z'))
  const usage = await h.get(`/api/tenants/${tenant}/usage?days=1`)
  t.match(usage.body, { total_amount_cents: 300, by_gpu_type: [{ gpu_type: 'L40S', priced: true, cents_per_gpu_hour: 150 }] }, 'L40S is priced now')
})

t.test('PUT /api/rates/:gpu_type: only operators (admin, not tenant-bound); nothing written otherwise', async t => {
  const h = billingHarness()
  t.teardown(h.close)
  const before = h.snapshot()
  t.equal((await h.put('/api/rates/H100', { price_per_hour: 1 }, 'read')).status, 403)
  t.equal((await h.put('/api/rates/H100', { price_per_hour: 1 }, 'write')).status, 403)
  const bound = await h.put('/api/rates/H100', { price_per_hour: 1 }, 'admin;tenant:1')
  t.equal(bound.status, 403)
  t.match(bound.body, { statusCode: 403, code: 'FORBIDDEN', message: /tenant-bound key cannot change rates/ })
  t.equal((await h.put('/api/rates/H100', { bogus: 1 }, 'superadmin;tenant:1')).status, 403, 'refused before the body is read')
  t.equal((await h.put('/api/rates/H100', { price_per_hour: 1 }, '')).status, 401)
  t.equal(h.snapshot(), before)
})
