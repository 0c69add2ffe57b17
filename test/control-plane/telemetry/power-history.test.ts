import t from 'tap'
import { DAY, T0, seedRow, telemetryApp, type TestApp } from './telemetry-app.ts'

const iso = (ms: number) => new Date(ms).toISOString()
interface History { days: number, bucket_minutes: number, tz: string, node_id: number | null, cluster_id: number | null, points: Array<{ recorded_at: string, power_draw_w: number }> }

/** Pushes one tick of `gpus` GPUs at `at` from `hostname`, each drawing `watts`. */
async function tick (app: TestApp, hostname: string, at: number, watts: number, gpus = 8, cluster = 'default') {
  const res = await app.post({ node: { hostname, cluster }, gpus: Array.from({ length: gpus }, (_, g) => seedRow(g, { recorded_at: iso(at), power_draw_w: watts })) })
  if (res.status !== 200) throw new Error(`push failed: ${res.status} ${await res.text()}`)
}

async function history (app: TestApp, query: string): Promise<History> {
  const res = await app.get(`/api/gpu-stats/power-history${query}`)
  if (res.status !== 200) throw new Error(`history failed: ${res.status} ${await res.text()}`)
  return res.json() as Promise<History>
}

const pairs = (h: History) => h.points.map(p => [p.recorded_at, p.power_draw_w])

t.test('defaults, shape, and MAX (not AVG) of the per-second sum per bucket', async t => {
  const app = await telemetryApp(t)
  // 04:00-04:05 UTC... in the past: the clock is 04:00, so use 03:50-03:55.
  const start = T0 - 10 * 60_000
  for (let s = 0; s < 60; s++) await tick(app, 'a', start + s * 1000, s === 42 ? 900 : 500)
  const h = await history(app, '')
  t.match(h, { days: 7, bucket_minutes: 5, tz: 'UTC', node_id: null, cluster_id: null })
  // AVG of the per-second sums would be ≈ 4,053; the seed wants the 8 × 900 W spike.
  t.same(pairs(h), [['2026-04-26T03:50:00+00:00', 7200]])
})

t.test('seed 000: two pushes of the same GPUs at …00.100Z and …00.600Z are two samples (3000 W, not 5000 W)', async t => {
  const app = await telemetryApp(t)
  const at = Date.UTC(2026, 3, 26, 3, 50, 0)
  // The seed's own reporter body (no node: the default node 1 in cluster 1).
  for (const [ms, watts] of [[100, 1000], [600, 1500]] as const) {
    const res = await app.post({ gpus: [0, 1].map(g => seedRow(g, { recorded_at: iso(at + ms), power_draw_w: watts })) })
    t.equal(res.status, 200)
  }
  for (const q of ['', '?bucket_minutes=1', '?bucket_minutes=60', '?bucket_minutes=1440', '?cluster_id=1', '?node_id=1']) {
    t.same((await history(app, q)).points.map(p => p.power_draw_w), [3000], q === '' ? 'defaults' : q)
  }
})

t.test('a 1 Hz agent whose ticks drift: a second holding two of its ticks is not twice the power', async t => {
  const app = await telemetryApp(t)
  // 8 GPUs summing to 2,025 W; ticks 970 ms apart, so now and then two land in one wall-clock second.
  const start = Date.UTC(2026, 3, 26, 3, 50, 0, 20)
  for (let i = 0; i < 70; i++) await tick(app, 'a', start + i * 970, 2025 / 8)
  for (const q of ['', '?bucket_minutes=1', '?node_id=2', '?cluster_id=1']) {
    t.same([...new Set((await history(app, q)).points.map(p => p.power_draw_w))], [2025], q === '' ? 'defaults' : q)
  }
})

t.test('bucket boundaries: a bucket is [start, start + bucket_minutes)', async t => {
  const app = await telemetryApp(t)
  await tick(app, 'a', Date.UTC(2026, 3, 26, 3, 4, 59, 999), 100, 1)
  await tick(app, 'a', Date.UTC(2026, 3, 26, 3, 5, 0), 200, 1)
  await tick(app, 'a', Date.UTC(2026, 3, 26, 3, 9, 59), 300, 1)
  await tick(app, 'a', Date.UTC(2026, 3, 26, 3, 10, 0), 50, 1)
  t.same(pairs(await history(app, '?bucket_minutes=5')), [
    ['2026-04-26T03:00:00+00:00', 100],
    ['2026-04-26T03:05:00+00:00', 300],
    ['2026-04-26T03:10:00+00:00', 50],
  ])
  t.same(pairs(await history(app, '?bucket_minutes=1')).length, 4)
  t.same(pairs(await history(app, '?bucket_minutes=60')), [['2026-04-26T03:00:00+00:00', 300]])
  t.same(pairs(await history(app, '?bucket_minutes=1440')), [['2026-04-26T00:00:00+00:00', 300]])
  // Samples of several nodes at the same second (other milliseconds) add up.
  await tick(app, 'b', Date.UTC(2026, 3, 26, 3, 9, 59, 640), 1000, 1)
  t.same(pairs(await history(app, '?bucket_minutes=5'))[1], ['2026-04-26T03:05:00+00:00', 1300])
})

t.test('days and bucket_minutes out of range or not integers → 400', async t => {
  const app = await telemetryApp(t)
  for (const q of ['days=0', 'days=31', 'days=7.5', 'days=abc', 'days=-1', 'days=', 'days=1e1', 'bucket_minutes=0',
    'bucket_minutes=1441', 'bucket_minutes=2.5', 'bucket_minutes=99999999999', 'tz=', 'node_id=0', 'cluster_id=x']) {
    const res = await app.get(`/api/gpu-stats/power-history?${q}`)
    t.equal(res.status, 400, q)
    t.match(await res.json(), { statusCode: 400, code: 'VALIDATION_FAILED', message: String }, q)
  }
  for (const q of ['days=1', 'days=30', 'bucket_minutes=1', 'bucket_minutes=1440']) {
    t.equal((await app.get(`/api/gpu-stats/power-history?${q}`)).status, 200, q)
  }
  t.equal((await app.get('/api/gpu-stats/power-history', 'ingest')).status, 403)
})

t.test('tz: unknown → 400; Asia/Kolkata aligns to its half-hour offset', async t => {
  const app = await telemetryApp(t)
  for (const tz of ['Mars/Olympus', '../../etc/passwd', 'Asia/Kolkata%00', 'x'.repeat(70)]) {
    const res = await app.get(`/api/gpu-stats/power-history?tz=${encodeURIComponent(tz)}`)
    t.equal(res.status, 400, tz)
    t.match(await res.json(), { code: 'VALIDATION_FAILED' })
  }
  await tick(app, 'a', Date.UTC(2026, 3, 26, 2, 29), 100, 1) // 07:59 IST
  await tick(app, 'a', Date.UTC(2026, 3, 26, 2, 31), 200, 1) // 08:01 IST
  await tick(app, 'a', Date.UTC(2026, 3, 25, 18, 40), 50, 1) // 00:10 IST on the 26th
  await tick(app, 'a', Date.UTC(2026, 3, 25, 18, 20), 70, 1) // 23:50 IST on the 25th
  const h = await history(app, '?tz=Asia/Kolkata&bucket_minutes=60')
  t.equal(h.tz, 'Asia/Kolkata', 'echoed as asked (ICU calls it Asia/Calcutta)')
  t.same(pairs(h), [
    ['2026-04-25T23:00:00+05:30', 70],
    ['2026-04-26T00:00:00+05:30', 50],
    ['2026-04-26T07:00:00+05:30', 100],
    ['2026-04-26T08:00:00+05:30', 200],
  ])
  t.same(pairs(await history(app, '?tz=Asia/Kolkata&bucket_minutes=1440')), [
    ['2026-04-25T00:00:00+05:30', 70],
    ['2026-04-26T00:00:00+05:30', 200],
  ])
  t.same(pairs(await history(app, '?tz=Asia/Tokyo&bucket_minutes=5'))[0], ['2026-04-26T03:20:00+09:00', 70], 'the seed example\'s offset form')
})

t.test('tz across DST: America/New_York spring forward and fall back', async t => {
  const app = await telemetryApp(t)
  // 2026-03-08: 02:00 EST → 03:00 EDT (07:00Z).
  app.clock.now = Date.UTC(2026, 2, 8, 12, 0)
  await tick(app, 'a', Date.UTC(2026, 2, 8, 6, 30), 100, 1) // 01:30 EST
  await tick(app, 'a', Date.UTC(2026, 2, 8, 7, 30), 200, 1) // 03:30 EDT
  await tick(app, 'a', Date.UTC(2026, 2, 8, 4, 30), 10, 1) // 23:30 EST on the 7th
  const q = (b: number) => history(app, `?tz=America/New_York&days=1&bucket_minutes=${b}`)
  t.same(pairs(await q(60)), [
    ['2026-03-07T23:00:00-05:00', 10],
    ['2026-03-08T01:00:00-05:00', 100],
    ['2026-03-08T03:00:00-04:00', 200],
  ])
  t.same(pairs(await q(1440)), [['2026-03-07T00:00:00-05:00', 10], ['2026-03-08T00:00:00-05:00', 200]], 'one 23-hour day')
  // 02:00-04:00 local is one real hour that day: the bucket starts at the change.
  t.same(pairs(await q(120)), [
    ['2026-03-07T22:00:00-05:00', 10],
    ['2026-03-08T00:00:00-05:00', 100],
    ['2026-03-08T03:00:00-04:00', 200],
  ])

  // 2026-11-01: 02:00 EDT → 01:00 EST (06:00Z); 01:00-02:00 happens twice.
  app.clock.now = Date.UTC(2026, 10, 1, 12, 0)
  await tick(app, 'a', Date.UTC(2026, 10, 1, 5, 30), 300, 1) // 01:30 EDT
  await tick(app, 'a', Date.UTC(2026, 10, 1, 6, 30), 400, 1) // 01:30 EST
  t.same(pairs(await q(60)), [
    ['2026-11-01T01:00:00-04:00', 300],
    ['2026-11-01T01:00:00-05:00', 400],
  ], 'the repeated hour is two buckets, told apart by their offsets')
  t.same(pairs(await q(1440)), [['2026-11-01T00:00:00-04:00', 400]], 'one 25-hour day')
})

t.test('scope: the whole fleet, one cluster, or one node', async t => {
  const app = await telemetryApp(t)
  const at = T0 - 60_000
  await tick(app, 'a', at, 100, 8, 'east') // node 2, cluster 2
  await tick(app, 'b', at + 300, 10, 8, 'east') // node 3, cluster 2
  await tick(app, 'c', at + 600, 1000, 1, 'west') // node 4, cluster 3
  const p = async (q: string) => (await history(app, q)).points.map(x => x.power_draw_w)
  t.same(await p(''), [1880])
  t.same(await p('?cluster_id=2'), [880])
  t.same(await p('?cluster_id=3'), [1000])
  t.same(await p('?node_id=3'), [80])
  t.same(await p('?node_id=99'), [])
  t.match(await history(app, '?node_id=3'), { node_id: 3, cluster_id: null })
  const both = await app.get('/api/gpu-stats/power-history?node_id=3&cluster_id=2')
  t.equal(both.status, 400)
})

t.test('late arrival: a replay into an answered bucket changes the answer', async t => {
  const app = await telemetryApp(t)
  const at = T0 - 30 * 60_000
  await tick(app, 'a', at, 100, 4)
  t.same((await history(app, '')).points.map(x => x.power_draw_w), [400])
  // The spooled rows of GPUs 4-7 for that same tick arrive an hour... well, a minute later.
  await app.post({ node: { hostname: 'a' }, gpus: [4, 5, 6, 7].map(g => seedRow(g, { recorded_at: iso(at), power_draw_w: 100 })) })
  t.same((await history(app, '')).points.map(x => x.power_draw_w), [800])
})

t.test('days=30 is answered from rollups after the raw rows were pruned', async t => {
  const app = await telemetryApp(t)
  const old = T0 - 20 * DAY
  app.clock.now = old + 60_000
  for (let s = 0; s < 3; s++) await tick(app, 'a', old + s * 1000, 100 + s)
  app.clock.now = T0
  await tick(app, 'a', T0 - 1000, 50)
  await app.immediates.run()
  t.equal(await app.repo.countSamples({ toMs: T0 - 7 * DAY }), 0, 'raw rows older than 7 days are gone')
  t.same(pairs(await history(app, '?days=30&bucket_minutes=60')), [
    [`${iso(old).slice(0, 13)}:00:00+00:00`, 816],
    ['2026-04-26T03:00:00+00:00', 400],
  ])
  t.same(pairs(await history(app, '?days=7&bucket_minutes=60')), [['2026-04-26T03:00:00+00:00', 400]])
})
