import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import type { InferenceRecordInput, PageQuery } from '../../../control-plane/store/analytics-repository.ts'
import type { SchedulingRows } from '../analytics/insert-scheduling-rows.ts'

export interface AnalyticsFixture {
  store: Store
  /** Raw rows for the tables analytics reads but does not own (until their repositories land). */
  rows: SchedulingRows
}

const T0 = Date.UTC(2026, 5, 1)
const MIN = 60_000
const H = 3_600_000
const page = (over: Partial<PageQuery> = {}): PageQuery => ({ since: null, until: null, order: 'desc', limit: 100, offset: 0, ...over })
const rec = (id: string, at: number, over: Partial<InferenceRecordInput> = {}): InferenceRecordInput => ({
  id, at, endpoint: 'chat', model: 'llama', tenantId: null, source: 'gpu-node-01', tokensIn: 10, tokensOut: 20, latencyMs: 100, status: 'ok', ...over,
})

/**
 * The analytics repository contract, run against every engine (SQLite now; PostgreSQL's test
 * file calls this with its own factory). Each subtest gets a fresh store.
 */
export function analyticsStoreSuite (t: Test, open: (t: Test) => Promise<AnalyticsFixture>): void {
  t.test('inference ingest is idempotent per id: re-sent and in-batch repeats are ignored, first write wins', async t => {
    const { store } = await open(t)
    const a = store.analytics
    t.same(await a.insertInferenceRecords([rec('r1', T0), rec('r2', T0 + 1), rec('r2', T0 + 2, { tokensIn: 999 })]), { inserted: 2, duplicates: 1 })
    t.same(await a.insertInferenceRecords([rec('r1', T0, { tokensIn: 5 }), rec('r3', T0 + 3)]), { inserted: 1, duplicates: 1 })
    t.same(await a.insertInferenceRecords([]), { inserted: 0, duplicates: 0 })
    const listed = (await a.listInferenceRecords(page({ order: 'asc' }))).items
    t.same(listed.map(r => [r.id, r.at, r.tokensIn]), [['r1', T0, 10], ['r2', T0 + 1, 10], ['r3', T0 + 3, 10]])
    const [totals] = await a.inferenceTotalsBySource(T0, T0 + H)
    t.match(totals, { source: 'gpu-node-01', requests: 3, tokensIn: 30 }, 'rollups count each record once')
  })

  t.test('paging by offset visits every record once in a total order, ties broken by insertion', async t => {
    const { store } = await open(t)
    const a = store.analytics
    const all = Array.from({ length: 57 }, (_, i) => rec(`r${String(i).padStart(2, '0')}`, T0 + Math.floor(i / 10) * MIN))
    await a.insertInferenceRecords(all.slice().reverse())
    for (const order of ['asc', 'desc'] as const) {
      const seen: string[] = []
      for (let offset = 0; ; offset += 7) {
        const p = await a.listInferenceRecords(page({ order, limit: 7, offset }))
        seen.push(...p.items.map(r => r.id))
        if (!p.hasMore) break
      }
      t.equal(seen.length, 57, `${order}: every record`)
      t.equal(new Set(seen).size, 57, `${order}: once`)
      if (order === 'desc') t.equal(seen[0], 'r50', 'desc starts at the newest time')
    }
    const asc = (await a.listInferenceRecords(page({ order: 'asc', limit: 1000 }))).items.map(r => r.id)
    const desc = (await a.listInferenceRecords(page({ order: 'desc', limit: 1000 }))).items.map(r => r.id)
    t.same(desc, asc.slice().reverse(), 'desc is exactly asc reversed')
    const windowed = await a.listInferenceRecords(page({ since: T0 + MIN, until: T0 + 3 * MIN, limit: 1000 }))
    t.same(windowed.items.map(r => r.at), [...Array(10).fill(T0 + 2 * MIN), ...Array(10).fill(T0 + MIN)], 'since inclusive, until exclusive')
    t.equal(windowed.hasMore, false)
  })

  t.test('totals are exact for any window: rollups inside, raw rows at the ragged edges', async t => {
    const { store } = await open(t)
    const a = store.analytics
    let seed = 7
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const records: InferenceRecordInput[] = []
    for (let i = 0; i < 3000; i++) {
      records.push(rec(`x${i}`, T0 + Math.floor(rand() * 3 * 24 * H), {
        source: rand() < 0.2 ? null : `node-${Math.floor(rand() * 3)}`,
        endpoint: `ep-${Math.floor(rand() * 2)}`,
        tokensIn: Math.floor(rand() * 1000),
        tokensOut: Math.floor(rand() * 1000),
        status: rand() < 0.1 ? 'error' : 'ok',
      }))
    }
    for (let i = 0; i < records.length; i += 500) await a.insertInferenceRecords(records.slice(i, i + 500))
    const windows: Array<[number, number]> = [[T0, T0 + 3 * 24 * H], [T0 - H, T0 + 100 * H], [T0 + 7 * MIN + 3, T0 + 9 * MIN], [T0 + 5, T0 + 5]]
    for (let i = 0; i < 40; i++) {
      const from = T0 + Math.floor(rand() * 3 * 24 * H)
      windows.push([from, from + Math.floor(rand() * 30 * H)])
    }
    for (const [from, to] of windows) {
      const naive = new Map<string | null, { requests: number, errors: number, tokensIn: number, tokensOut: number }>()
      const perEndpoint = { requests: 0, tokensIn: 0 }
      for (const r of records) {
        if (r.at < from || r.at >= to) continue
        const n = naive.get(r.source) ?? { requests: 0, errors: 0, tokensIn: 0, tokensOut: 0 }
        n.requests++
        if (r.status === 'error') n.errors++
        n.tokensIn += r.tokensIn
        n.tokensOut += r.tokensOut
        naive.set(r.source, n)
        if (r.endpoint === 'ep-1') {
          perEndpoint.requests++
          perEndpoint.tokensIn += r.tokensIn
        }
      }
      const got = new Map((await a.inferenceTotalsBySource(from, to)).map(s => [s.source, { requests: s.requests, errors: s.errors, tokensIn: s.tokensIn, tokensOut: s.tokensOut }]))
      t.same(Object.fromEntries(got), Object.fromEntries(naive), `by source, [${from - T0}, ${to - T0})`)
      t.match(await a.inferenceTotalsForEndpoint('ep-1', from, to), perEndpoint, `endpoint, [${from - T0}, ${to - T0})`)
    }
  })

  t.test('records carry their tenant name when the tenant exists', async t => {
    const { store, rows } = await open(t)
    const tenant = rows.tenant('acme')
    await store.analytics.insertInferenceRecords([rec('a', T0, { tenantId: tenant }), rec('b', T0 + 1, { tenantId: 999 })])
    const items = (await store.analytics.listInferenceRecords(page({ order: 'asc' }))).items
    t.same(items.map(r => [r.tenantId, r.tenantName]), [[tenant, 'acme'], [999, null]])
  })

  t.test('endpoints: create, update with changed fields, no-op, delete, deploy again as a new lifecycle', async t => {
    const { store } = await open(t)
    const a = store.analytics
    const base = { name: 'chat', model: 'llama-8b', replicas: 1, status: 'active' as const, tenantId: null, source: 'gpu-node-01' }
    const c1 = await a.upsertEndpoint(base, T0)
    t.match(c1, { created: true, changed: true, endpoint: { name: 'chat', status: 'active', createdAt: T0, deletedAt: null } })
    t.same(c1.endpoint.events.map(e => e.kind), ['created'])
    const same = await a.upsertEndpoint(base, T0 + 1)
    t.match(same, { created: false, changed: false, endpoint: { id: c1.endpoint.id, updatedAt: T0 } })
    const up = await a.upsertEndpoint({ ...base, replicas: 3, model: 'llama-70b' }, T0 + 2)
    t.match(up, { created: false, changed: true, endpoint: { replicas: 3, model: 'llama-70b', updatedAt: T0 + 2 } })
    t.same(up.endpoint.events[1], { kind: 'updated', at: T0 + 2, detail: { model: { from: 'llama-8b', to: 'llama-70b' }, replicas: { from: 1, to: 3 } } })
    const del = await a.deleteEndpoint('chat', T0 + 3)
    t.match(del, { id: c1.endpoint.id, status: 'deleted', deletedAt: T0 + 3 })
    t.equal(await a.deleteEndpoint('chat', T0 + 4), null, 'nothing live to delete')
    const again = await a.upsertEndpoint(base, T0 + 5)
    t.equal(again.created, true)
    t.not(again.endpoint.id, c1.endpoint.id, 'a new deployment')
    const list = await a.listEndpoints(page({ order: 'asc' }))
    t.same(list.items.map(e => [e.id, e.status, e.events.map(ev => ev.kind)]), [
      [c1.endpoint.id, 'deleted', ['created', 'updated', 'deleted']],
      [again.endpoint.id, 'active', ['created']],
    ])
    t.same((await a.listEndpoints(page({ since: T0 + 1 }))).items.map(e => e.id), [again.endpoint.id], 'windowed by created_at')
  })

  t.test('jobs: kinds, window, order, GPUs held, tenant and node; rates', async t => {
    const { store, rows } = await open(t)
    const c = (await store.fleet.createCluster({ name: 'c', region: null }, T0))!
    const n1 = (await store.fleet.upsertNode({ clusterId: c.id, hostname: 'gpu-node-01' }, T0)).node
    const n2 = (await store.fleet.upsertNode({ clusterId: c.id, hostname: 'gpu-node-02' }, T0)).node
    const [g1] = await store.fleet.registerGpus(n1.id, [{ gpuIndex: 0, model: 'NVIDIA H100' }], T0)
    const [g2] = await store.fleet.registerGpus(n2.id, [{ gpuIndex: 0, model: 'NVIDIA B200' }], T0)
    const tenant = rows.tenant('acme')
    const train = rows.job({ clusterId: c.id, name: 'train', kind: 'training', tenantId: tenant, gpuType: 'H100', nodeId: n1.id, submittedAt: T0, startedAt: T0 + MIN, endedAt: T0 + H })
    rows.jobGpu({ jobId: train, gpuId: g1!.id, gpuModel: 'NVIDIA H100 80GB HBM3', assignedAt: T0 + MIN, releasedAt: T0 + H })
    const bench = rows.job({ clusterId: c.id, name: 'bench', kind: 'benchmark', gpuType: 'B200', submittedAt: T0 + 1, startedAt: T0 + 2 * H })
    rows.jobGpu({ jobId: bench, gpuId: g2!.id, assignedAt: T0 + 2 * H })
    const queued = rows.job({ clusterId: c.id, name: 'queued', kind: 'training', submittedAt: T0 + 2 })
    const a = store.analytics

    const training = await a.listJobs(['training'], page())
    t.same(training.items.map(j => j.id), [queued, train], 'training only, newest first')
    t.match(training.items[1], {
      name: 'train', tenantName: 'acme', nodeId: n1.id, hostname: 'gpu-node-01', startedAt: T0 + MIN, endedAt: T0 + H,
      gpus: [{ gpuId: g1!.id, gpuModel: 'NVIDIA H100 80GB HBM3', hostname: 'gpu-node-01', assignedAt: T0 + MIN, releasedAt: T0 + H }],
    })
    const b = (await a.listJobs(['benchmark'], page())).items[0]!
    t.match(b, { nodeId: null, hostname: 'gpu-node-02', gpus: [{ gpuModel: 'B200' }] }, "no node of its own: its first GPU's; model from gpu_type")
    t.same((await a.listJobs(['training', 'benchmark'], page({ order: 'asc', limit: 2 }))).items.map(j => j.id), [train, bench])
    t.equal((await a.listJobs(['training', 'benchmark'], page({ order: 'asc', limit: 2 }))).hasMore, true)
    t.same((await a.listJobs(['compute'], page())).items, [])

    const intervals = await a.listGpuIntervals(T0 + 30 * MIN, T0 + 3 * H)
    t.same(intervals.map(i => [i.jobId, i.gpus, i.from, i.to, i.hostname]), [[train, 1, T0 + MIN, T0 + H, 'gpu-node-01'], [bench, 1, T0 + 2 * H, null, 'gpu-node-02']])
    t.same((await a.listGpuIntervals(T0 + H, T0 + 2 * H)).map(i => i.jobId), [], 'released at the window start, assigned at its end: neither overlaps')
    const bare = rows.job({ clusterId: c.id, kind: 'compute', gpuType: 'A100', gpuCount: 4, nodeId: n2.id, submittedAt: T0, startedAt: T0 + H, endedAt: T0 + 3 * H })
    t.match((await a.listGpuIntervals(T0, T0 + 4 * H)).find(i => i.jobId === bare), { gpuId: null, gpus: 4, gpuModel: 'A100', from: T0 + H, to: T0 + 3 * H, hostname: 'gpu-node-02' },
      'a started job without job_gpus rows stands for gpu_count GPUs')
    t.same((await a.listJobStarts(T0, T0 + 2 * H)).map(s => [s.jobId, s.at]), [[train, T0 + MIN], [bare, T0 + H]], 'until exclusive')
    t.match(await a.listRates(), [{ gpuType: 'A100', centsPerGpuHour: 221 }, { gpuType: 'A6000' }, { gpuType: 'B200' }, { gpuType: 'H100', centsPerGpuHour: 476 }])
  })

  t.test('worker events: node and job lifecycle merged by time, one shape, limit and truncation', async t => {
    const { store, rows } = await open(t)
    const c = (await store.fleet.createCluster({ name: 'c', region: null }, T0))!
    const { node } = await store.fleet.upsertNode({ clusterId: c.id, hostname: 'gpu-node-01' }, T0)
    const [g] = await store.fleet.registerGpus(node.id, [{ gpuIndex: 0 }], T0)
    await store.fleet.markStaleNodesOffline(T0 + 1, T0 + 10 * MIN)
    await store.fleet.upsertNode({ clusterId: c.id, hostname: 'gpu-node-01' }, T0 + 20 * MIN)
    const job = rows.job({ clusterId: c.id, submittedAt: T0, startedAt: T0 + 20 * MIN })
    rows.jobEvent({ jobId: job, kind: 'submitted', at: T0 + MIN })
    rows.jobEvent({ jobId: job, kind: 'gpu_assigned', at: T0 + 20 * MIN, gpuId: g!.id, detail: '{"gpu_index":0}' })
    rows.jobEvent({ jobId: job, kind: 'started', at: T0 + 20 * MIN, nodeId: node.id, detail: 'plain text' })
    const a = store.analytics
    const all = await a.listWorkerEvents({ since: null, until: null, limit: 100 })
    t.equal(all.truncated, false)
    t.same(all.events.map(e => [e.origin, e.kind, e.at - T0, e.nodeId, e.hostname, e.gpuId, e.jobId]), [
      ['node', 'registered', 0, node.id, 'gpu-node-01', null, null],
      ['node', 'offline', 10 * MIN, node.id, 'gpu-node-01', null, null],
      ['node', 'online', 20 * MIN, node.id, 'gpu-node-01', null, null],
      ['job', 'gpu_assigned', 20 * MIN, node.id, 'gpu-node-01', g!.id, job],
      ['job', 'started', 20 * MIN, node.id, 'gpu-node-01', null, job],
    ], "scheduler bookkeeping (submitted) left out; node first at the same instant; the GPU's node fills in")
    const two = await a.listWorkerEvents({ since: T0 + MIN, until: T0 + 21 * MIN, limit: 2 })
    t.same(two.events.map(e => e.kind), ['offline', 'online'])
    t.equal(two.truncated, true)
    t.same((await a.listWorkerEvents({ since: T0 + 20 * MIN, until: T0 + 20 * MIN, limit: 10 })).events, [], 'empty window')
  })

  t.test('global env: set, overwrite, list', async t => {
    const { store } = await open(t)
    const a = store.analytics
    t.same(await a.listGlobalEnv(), [])
    t.same(await a.setGlobalEnv('ANALYTICS_SOURCE_ALIASES', '{"a":"A"}', T0), { key: 'ANALYTICS_SOURCE_ALIASES', value: '{"a":"A"}', updatedAt: T0 })
    await a.setGlobalEnv('ANALYTICS_SOURCE_ALIASES', '{"a":"B"}', T0 + 1)
    t.same(await a.listGlobalEnv(), [{ key: 'ANALYTICS_SOURCE_ALIASES', value: '{"a":"B"}', updatedAt: T0 + 1 }])
  })
}
