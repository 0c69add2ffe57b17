import t from 'tap'
import { parseInferenceRecords } from '../../../control-plane/analytics/parse-inference-records.ts'

const NOW = Date.UTC(2026, 5, 1, 12)
const window = { oldestMs: Date.UTC(2000, 0, 1), newestMs: NOW + 5 * 60_000 }
const good = { id: 'r1', endpoint: 'chat', model: 'llama', tokens_in: 10, tokens_out: 20, latency_ms: 12.5, status: 'ok', at: '2026-06-01T11:00:00Z' }

t.test('a valid record maps to the store shape; optional fields default to null', async t => {
  const { valid, skipped } = parseInferenceRecords([good, { ...good, id: 'r2', tenant_id: 3, source: 'gpu-node-01', status: 'error' }], window)
  t.same(skipped, [])
  t.same(valid, [
    { id: 'r1', at: Date.UTC(2026, 5, 1, 11), endpoint: 'chat', model: 'llama', tenantId: null, source: null, tokensIn: 10, tokensOut: 20, latencyMs: 12.5, status: 'ok' },
    { id: 'r2', at: Date.UTC(2026, 5, 1, 11), endpoint: 'chat', model: 'llama', tenantId: 3, source: 'gpu-node-01', tokensIn: 10, tokensOut: 20, latencyMs: 12.5, status: 'error' },
  ])
})

t.test('each bad record is skipped with its index, id and first problem; the good ones stay', async t => {
  const bad: unknown[] = [
    null, 'x', [], { ...good, id: '' }, { ...good, id: 7 }, { ...good, endpoint: 'has space' }, { ...good, endpoint: 'a/b' }, { ...good, model: '' },
    { ...good, tokens_in: -1 }, { ...good, tokens_out: 1.5 }, { ...good, tokens_in: '10' }, { ...good, latency_ms: -1 }, { ...good, status: 'OK' },
    { ...good, at: '2026-06-01T11:00:00' }, { ...good, at: 1717200000000 }, { ...good, at: '1999-12-31T23:59:59Z' },
    { ...good, at: '2026-06-01T12:05:00.001Z' }, { ...good, tenant_id: 0 }, { ...good, tenant_id: 'a' }, { ...good, source: '' },
  ]
  const { valid, skipped } = parseInferenceRecords([good, ...bad], window)
  t.equal(valid.length, 1)
  t.same(skipped.map(s => s.index), bad.map((_, i) => i + 1), 'every bad one, by index')
  t.match(skipped[0], { index: 1, id: null, reason: /^record: / })
  t.match(skipped.find(s => s.index === 5), { id: null, reason: /^id: / })
  t.match(skipped.find(s => s.index === 6), { id: 'r1', reason: /^endpoint: / })
  t.match(skipped.find(s => s.index === 16), { reason: /^at: before 2000-01-01/ })
  t.match(skipped.find(s => s.index === 17), { reason: 'at: ahead of the server clock' })
  t.equal(parseInferenceRecords([{ ...good, at: '2026-06-01T12:05:00Z' }], window).valid.length, 1, 'exactly at the tolerance is fine')
})
