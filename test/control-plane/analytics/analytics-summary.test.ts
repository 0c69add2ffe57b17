import t from 'tap'
import { analyticsHarness, T0, MIN, HOUR, DAY } from './analytics-harness.ts'

const iso = (ms: number) => new Date(ms).toISOString()
type H = Awaited<ReturnType<typeof analyticsHarness>>
const post = (h: H, records: unknown[]) => h.req('POST', '/v1/inference/records', { key: h.keys.ingest, body: { records } })
const rec = (id: string, at: number, over: Record<string, unknown> = {}) =>
  ({ id, endpoint: 'chat', model: 'm', tokens_in: 10, tokens_out: 1, latency_ms: 100, status: 'ok', source: 'gpu-node-01', at: iso(at), ...over })
const summary = async (h: H, query: string) => {
  const res = await h.get(`/v1/history/summary?${query}`)
  if (res.status !== 200) throw new Error(res.text)
  return res.body
}

t.test('UTC days: exact counts, tokens, errors and latency; empty days listed with zeros', async t => {
  const h = await analyticsHarness(t, { now: T0 + 10 * DAY })
  await post(h, [rec('a', T0), rec('b', T0 + DAY - 1, { status: 'error', tokens_in: 5 }), rec('c', T0 + DAY, { latency_ms: 300 }), rec('d', T0 + 3 * DAY - 1)])
  const body = await summary(h, `since=${iso(T0)}&until=${iso(T0 + 3 * DAY)}&tz=UTC`)
  t.match(body, { tz: 'UTC', since: iso(T0), until: iso(T0 + 3 * DAY), currency: 'usd' })
  t.same(body.rows.map((r: any) => [r.date, r.inference_requests, r.errors, r.tokens_in, r.avg_latency_ms]), [
    ['2026-06-01', 2, 1, 15, 100], ['2026-06-02', 1, 0, 10, 300], ['2026-06-03', 1, 0, 10, 100],
  ])
  const empty = await summary(h, `since=${iso(T0 + 5 * DAY)}&until=${iso(T0 + 7 * DAY)}`)
  t.same(empty.rows.map((r: any) => [r.date, r.inference_requests, r.avg_latency_ms, r.by_source]), [['2026-06-06', 0, null, []], ['2026-06-07', 0, null, []]])
  const defaults = await summary(h, '')
  t.equal(defaults.until, iso(T0 + 10 * DAY), 'until defaults to now')
  t.equal(defaults.since, iso(T0 - 20 * DAY), 'since defaults to 30 days before until')
  t.equal(defaults.rows.length, 30)
})

t.test('Asia/Kolkata (+05:30) and Asia/Kathmandu (+05:45): records land on their local day, exactly', async t => {
  const h = await analyticsHarness(t, { now: T0 + 10 * DAY })
  // Local midnight of 2026-06-02 is 18:30Z (Kolkata) and 18:15Z (Kathmandu) on 06-01.
  await post(h, [rec('k1', T0 + 18 * HOUR + 29 * MIN), rec('k2', T0 + 18 * HOUR + 30 * MIN), rec('n1', T0 + 18 * HOUR + 14 * MIN + 59_999), rec('n2', T0 + 18 * HOUR + 15 * MIN)])
  const window = `since=${iso(T0 + 12 * HOUR)}&until=${iso(T0 + 24 * HOUR)}`
  const kol = await summary(h, `${window}&tz=Asia/Kolkata`)
  t.equal(kol.tz, 'Asia/Kolkata', 'the zone is echoed as asked')
  t.same(kol.rows.map((r: any) => [r.date, r.inference_requests]), [['2026-06-01', 3], ['2026-06-02', 1]])
  const ktm = await summary(h, `${window}&tz=Asia/Kathmandu`)
  t.same(ktm.rows.map((r: any) => [r.date, r.inference_requests]), [['2026-06-01', 1], ['2026-06-02', 3]])
  const utc = await summary(h, `${window}&tz=UTC`)
  t.same(utc.rows.map((r: any) => [r.date, r.inference_requests]), [['2026-06-01', 4]])
})

t.test('ragged since/until (not on a 15-minute mark) count exactly', async t => {
  const h = await analyticsHarness(t, { now: T0 + 10 * DAY })
  await post(h, Array.from({ length: 60 }, (_, i) => rec(`r${i}`, T0 + i * MIN)))
  const body = await summary(h, `since=${iso(T0 + 7 * MIN + 500)}&until=${iso(T0 + 52 * MIN)}&tz=Asia/Kolkata`)
  t.equal(body.rows.reduce((s: number, r: any) => s + r.inference_requests, 0), 44, 'minutes 8..51')
})

t.test('DST: America/New_York fall-back day has 25 hours of GPU time; cost cut at local midnight', async t => {
  const h = await analyticsHarness(t, { now: Date.UTC(2026, 10, 10) })
  const c = (await h.store.fleet.createCluster({ name: 'c', region: null }, T0))!
  const n = (await h.store.fleet.upsertNode({ clusterId: c.id, hostname: 'gpu-node-01' }, T0)).node
  const [g] = await h.store.fleet.registerGpus(n.id, [{ gpuIndex: 0, model: 'NVIDIA H100' }], T0)
  // Runs from 2026-10-31 12:00 to 2026-11-02 12:00 New York time (EDT → EST on 11-01).
  const from = Date.UTC(2026, 9, 31, 16)
  const to = Date.UTC(2026, 10, 2, 17)
  const job = h.rows.job({ clusterId: c.id, kind: 'training', nodeId: n.id, gpuType: 'H100', submittedAt: from, startedAt: from, endedAt: to })
  h.rows.jobGpu({ jobId: job, gpuId: g!.id, gpuModel: 'NVIDIA H100', assignedAt: from, releasedAt: to })
  const body = await summary(h, `since=${iso(Date.UTC(2026, 9, 31))}&until=${iso(Date.UTC(2026, 10, 4))}&tz=America/New_York`)
  const byDate = Object.fromEntries(body.rows.map((r: any) => [r.date, r]))
  t.same([byDate['2026-10-31'].gpu_hours, byDate['2026-11-01'].gpu_hours, byDate['2026-11-02'].gpu_hours], [12, 25, 12])
  t.same([byDate['2026-10-31'].cost, byDate['2026-11-01'].cost, byDate['2026-11-02'].cost], [57.12, 119, 57.12])
  t.equal(byDate['2026-10-31'].gpu_jobs, 1, 'counted on the day it started')
  t.equal(byDate['2026-11-01'].gpu_jobs, 0)
  const history = (await h.get('/v1/history/training')).body.jobs[0]
  const total = body.rows.reduce((s: number, r: any) => s + r.cost, 0)
  t.equal(Math.round(total * 100), Math.round(history.cost * 100), 'summary cost agrees with the job\'s cost')
})

t.test('by_source carries the alias label; running jobs are metered up to now', async t => {
  const h = await analyticsHarness(t, { now: T0 + 6 * HOUR })
  const c = (await h.store.fleet.createCluster({ name: 'c', region: null }, T0))!
  const n = (await h.store.fleet.upsertNode({ clusterId: c.id, hostname: 'gpu-node-02' }, T0)).node
  const [g] = await h.store.fleet.registerGpus(n.id, [{ gpuIndex: 0, model: 'NVIDIA B200' }], T0)
  const job = h.rows.job({ clusterId: c.id, kind: 'compute', gpuType: 'B200', nodeId: n.id, submittedAt: T0, startedAt: T0 + 2 * HOUR })
  h.rows.jobGpu({ jobId: job, gpuId: g!.id, gpuModel: 'NVIDIA B200', assignedAt: T0 + 2 * HOUR })
  await post(h, [rec('a', T0 + HOUR), rec('b', T0 + HOUR, { source: null })])
  await h.req('PUT', '/v1/global-env/ANALYTICS_SOURCE_ALIASES', { key: h.keys.admin, body: { value: { 'gpu-node-01': 'Rack A', 'gpu-node-02': 'Rack B' } } })
  const body = await summary(h, `since=${iso(T0)}&until=${iso(T0 + DAY)}`)
  t.same(body.rows[0].by_source, [
    { source: 'gpu-node-01', label: 'Rack A', inference_requests: 1, errors: 0, tokens_in: 10, tokens_out: 1, gpu_jobs: 0, gpu_hours: 0, cost: 0 },
    { source: 'gpu-node-02', label: 'Rack B', inference_requests: 0, errors: 0, tokens_in: 0, tokens_out: 0, gpu_jobs: 1, gpu_hours: 4, cost: 23.96 },
    { source: null, label: null, inference_requests: 1, errors: 0, tokens_in: 10, tokens_out: 1, gpu_jobs: 0, gpu_hours: 0, cost: 0 },
  ])
  t.match(body.rows[0], { inference_requests: 2, gpu_jobs: 1, gpu_hours: 4, cost: 23.96 })
})
