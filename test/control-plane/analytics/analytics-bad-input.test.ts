import t from 'tap'
import { analyticsHarness } from './analytics-harness.ts'

// Each bad query → 400 VALIDATION_FAILED in the one error shape, naming the parameter; never a 500.
const CASES: Array<[string, string]> = [
  ['/v1/history/inference?since=yesterday', 'since'],
  ['/v1/history/inference?since=2026-06-01T00:00:00', 'since'],
  ['/v1/history/inference?since=1717200000000', 'since'],
  ['/v1/history/training?until=2026-13-01', 'until'],
  ['/v1/history/training?until=2026-02-30T00:00:00Z', 'until'],
  ['/v1/history/compute?since=2026-06-02T00:00:00Z&until=2026-06-01T00:00:00Z', 'since'],
  ['/v1/history/benchmarks?limit=0', 'limit'],
  ['/v1/history/benchmarks?limit=1001', 'limit'],
  ['/v1/history/benchmarks?limit=abc', 'limit'],
  ['/v1/history/benchmarks?limit=1.5', 'limit'],
  ['/v1/history/benchmarks?limit=1e3', 'limit'],
  ['/v1/history/benchmarks?limit=', 'limit'],
  ['/v1/history/benchmarks?limit=-1', 'limit'],
  ['/v1/history/endpoints?order=up', 'order'],
  ['/v1/history/endpoints?order=DESC', 'order'],
  ['/v1/history/inference?offset=-1', 'offset'],
  ['/v1/history/inference?offset=x', 'offset'],
  ['/v1/history/inference?offset=99999999999', 'offset'],
  ['/v1/history/serving?since=', 'since'],
  ['/v1/history/summary?tz=Mars/Olympus_Mons', 'tz'],
  ['/v1/history/summary?tz=', 'tz'],
  ['/v1/history/summary?tz=../../etc/passwd', 'tz'],
  ['/v1/history/summary?since=nope', 'since'],
  ['/v1/history/summary?since=2026-06-02T00:00:00Z&until=2026-06-01T00:00:00Z', 'since'],
  ['/v1/history/summary?since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'until'],
  ['/v1/history/summary?since=2099-01-01T00:00:00Z', 'since'],
  ['/admin/worker-events?limit=0', 'limit'],
  ['/admin/worker-events?limit=20001', 'limit'],
  ['/admin/worker-events?since=x', 'since'],
  ['/admin/worker-events?since=2026-06-02T00:00:00Z&until=2026-06-01T00:00:00Z', 'since'],
]

t.test('bad parameters → 400 in the one error shape naming the parameter', async t => {
  const h = await analyticsHarness(t)
  for (const [path, param] of CASES) {
    const res = await h.get(path)
    t.equal(res.status, 400, path)
    t.match(res.body, { statusCode: 400, code: 'VALIDATION_FAILED', error: 'Bad Request', message: new RegExp(`^${param}: `) }, `${path} names ${param}`)
  }
})

t.test('edge values that are fine', async t => {
  const h = await analyticsHarness(t)
  for (const path of [
    '/v1/history/inference?limit=1&offset=0&order=asc',
    '/v1/history/inference?limit=1000&offset=1000000000',
    '/v1/history/inference?since=2026-06-01T00:00:00Z&until=2026-06-01T00:00:00Z',
    '/v1/history/inference?since=2026-06-01&until=2026-06-02',
    '/v1/history/inference?since=2026-06-01T08:00:00+08:00',
    '/v1/history/inference?since=2026-06-01T08:00:00%2B08:00',
    '/v1/history/summary?tz=utc',
    '/v1/history/summary?tz=Asia/Kolkata&since=2026-06-01T00:00:00.000Z&until=2026-06-15T23:59:59.000Z',
    '/v1/history/summary?since=2025-06-01T00:00:00Z&until=2026-07-05T00:00:00Z',
    '/admin/worker-events?limit=20000',
    '/v1/history/inference?unknown=1',
  ]) t.equal((await h.get(path)).status, 200, path)
})
