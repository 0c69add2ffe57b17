import t, { type Test } from 'tap'
import { billingHarness } from './billing-harness.ts'
import { seedScenario } from './billing-scenario.ts'

const MB = 'x'.repeat(1024 * 1024)
const BAD_IDS = ['abc', '-1', '1e3', '0x1', '1.5', '9'.repeat(16), '%27%3B%20DROP%20TABLE%20invoices', MB.slice(0, 5000)]
const BAD_DAYS = ['0', '91', '100', '-1', '1.5', 'abc', '', '1e1', '%20', '030', '9'.repeat(20)]

async function setup (t: Test) {
  const h = billingHarness()
  t.teardown(h.close)
  const s = await seedScenario(h.fixtures)
  const invoice = (await h.post(`/api/tenants/${s.acme}/invoice?days=2`)).body.invoice
  const before = h.snapshot()
  /** Every answer is a 4xx in the one error shape, nothing was written, nothing was logged as an error. */
  const expect4xx = (t: Test, label: string, res: { status: number, body: any }, status: number, code?: string) => {
    t.equal(res.status, status, `${label} → ${status}`)
    t.match(res.body, { statusCode: status, code: code ?? String, error: String, message: String }, `${label}: the one error shape`)
  }
  const nothingWritten = (t: Test) => {
    t.equal(h.snapshot(), before, 'nothing written')
    t.notOk(h.lines.some(l => l.level === 'error'), 'no unhandled errors (no 500s)')
  }
  return { h, ...s, invoice, expect4xx, nothingWritten }
}

t.test('PUT /api/rates/:gpu_type', async t => {
  const { h, expect4xx, nothingWritten } = await setup(t)
  for (const type of ['H100!', '-H100', 'H100-', 'a  b', 'x'.repeat(33), '%00', 'H100%2F..', "H'; DROP TABLE rates"]) {
    expect4xx(t, `gpu_type ${JSON.stringify(type).slice(0, 40)}`, await h.put(`/api/rates/${encodeURIComponent(type)}`, { price_per_hour: 1 }), 400, 'VALIDATION_FAILED')
  }
  const bodies: Array<[string, string]> = [
    ['invalid JSON', '{"price_per_hour": '], ['empty', ''], ['array', '[]'], ['null', 'null'], ['string', '"4.76"'], ['number', '4.76'],
    ['no field', '{}'], ['both fields', '{"price_per_hour": 4.76, "cents_per_gpu_hour": 476}'], ['negative', '{"price_per_hour": -1}'],
    ['over the cap', '{"price_per_hour": 100000.01}'], ['fraction of a cent', '{"price_per_hour": 4.765}'], ['string price', '{"price_per_hour": "4.76"}'],
    ['fractional cents', '{"cents_per_gpu_hour": 47.6}'], ['huge', '{"cents_per_gpu_hour": 1e300}'], ['unknown field', '{"price_per_hour": 1, "currency": "eur"}'],
    ['1 MB', JSON.stringify({ price_per_hour: 1, note: MB })],
  ]
  for (const [label, raw] of bodies) {
    const res = await h.request('PUT', '/api/rates/H100', { raw })
    t.ok(res.status === 400, `${label} → 400 (got ${res.status})`)
    t.match(res.body, { statusCode: 400, code: /^(VALIDATION_FAILED|BAD_REQUEST)$/ })
  }
  expect4xx(t, 'text/plain body', await h.request('PUT', '/api/rates/H100', { raw: '{"price_per_hour":1}', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE')
  nothingWritten(t)
})

t.test('GET /api/tenants/:id/usage and POST /api/tenants/:id/invoice', async t => {
  const { h, acme, expect4xx, nothingWritten } = await setup(t)
  for (const id of BAD_IDS) {
    expect4xx(t, `usage id ${id.slice(0, 20)}`, await h.get(`/api/tenants/${id}/usage`), 400, 'VALIDATION_FAILED')
    expect4xx(t, `invoice id ${id.slice(0, 20)}`, await h.post(`/api/tenants/${id}/invoice`), 400, 'VALIDATION_FAILED')
  }
  for (const days of BAD_DAYS) {
    expect4xx(t, `usage days=${days.slice(0, 20)}`, await h.get(`/api/tenants/${acme}/usage?days=${days}`), 400, 'VALIDATION_FAILED')
    expect4xx(t, `invoice days=${days.slice(0, 20)}`, await h.post(`/api/tenants/${acme}/invoice?days=${days}`), 400, 'VALIDATION_FAILED')
  }
  expect4xx(t, 'usage of tenant 0', await h.get('/api/tenants/0/usage'), 404, 'TENANT_NOT_FOUND')
  expect4xx(t, 'invoice for tenant 0', await h.post('/api/tenants/0/invoice'), 404, 'TENANT_NOT_FOUND')
  expect4xx(t, 'invoice for an unknown tenant', await h.post('/api/tenants/123456789012345/invoice'), 404, 'TENANT_NOT_FOUND')
  expect4xx(t, 'invoice with a text/plain body', await h.request('POST', `/api/tenants/${acme}/invoice?days=3`, { raw: 'days=3', headers: { 'content-type': 'text/plain' } }), 415)
  nothingWritten(t)
})

t.test('GET /api/invoices/:id and PATCH /api/invoices/:id/status', async t => {
  const { h, invoice, expect4xx, nothingWritten } = await setup(t)
  for (const id of BAD_IDS) {
    expect4xx(t, `invoice id ${id.slice(0, 20)}`, await h.get(`/api/invoices/${id}`), 400, 'VALIDATION_FAILED')
    expect4xx(t, `status id ${id.slice(0, 20)}`, await h.patch(`/api/invoices/${id}/status`, { status: 'paid' }), 400, 'VALIDATION_FAILED')
  }
  expect4xx(t, 'unknown invoice', await h.get('/api/invoices/0'), 404, 'INVOICE_NOT_FOUND')
  for (const raw of ['{"status": ', '', '{"status": "paid"', MB]) {
    expect4xx(t, `status body ${raw.slice(0, 12)}`, await h.request('PATCH', `/api/invoices/${invoice.id}/status`, { raw }), 400)
  }
  expect4xx(t, 'status without JSON type', await h.request('PATCH', `/api/invoices/${invoice.id}/status`, { raw: '{"status":"paid"}', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415)
  nothingWritten(t)
})

t.test('GET /api/dashboard/revenue, GET /api/billing/summary, GET /api/rates', async t => {
  const { h, expect4xx, nothingWritten } = await setup(t)
  for (const days of BAD_DAYS) expect4xx(t, `revenue days=${days.slice(0, 20)}`, await h.get(`/api/dashboard/revenue?days=${days}`), 400, 'VALIDATION_FAILED')
  for (const path of ['/api/dashboard/revenue', '/api/billing/summary', '/api/rates']) {
    expect4xx(t, `${path} without a key`, await h.get(path, ''), 401)
    expect4xx(t, `${path} with an ingest key`, await h.get(path, 'ingest'), 403)
  }
  t.equal((await h.get('/api/billing/summary?junk=1')).status, 200, 'unknown query parameters are ignored')
  nothingWritten(t)
})
