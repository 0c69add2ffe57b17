import t from 'tap'
import { join } from 'node:path'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { schedulingRows } from '../analytics/insert-scheduling-rows.ts'
import { analyticsStoreSuite } from './analytics-suite.ts'

// A file (not :memory:) so the raw scheduling-row writer can open a second connection to it.
t.test('sqlite', async t => {
  let n = 0
  analyticsStoreSuite(t, async t => {
    const path = join(t.testdir(), `analytics-${n++}.db`)
    const store = await openSqliteStore(path)
    const rows = schedulingRows(path)
    t.teardown(async () => { rows.close(); await store.close() })
    return { store, rows }
  })
})

t.test('sqlite file: records, rollups and endpoints survive a restart; migrations run once', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const T0 = Date.UTC(2026, 5, 1)
  const first = await openSqliteStore(path)
  await first.analytics.insertInferenceRecords([{ id: 'r1', at: T0, endpoint: 'chat', model: 'm', tenantId: null, source: null, tokensIn: 1, tokensOut: 2, latencyMs: 3, status: 'ok' }])
  await first.analytics.upsertEndpoint({ name: 'chat', model: 'm', replicas: 1, status: 'active', tenantId: null, source: null }, T0)
  await first.close()
  const second = await openSqliteStore(path)
  t.teardown(() => second.close())
  t.match(await second.analytics.inferenceTotalsBySource(T0, T0 + 3_600_000), [{ source: null, requests: 1, tokensIn: 1, tokensOut: 2 }])
  t.same(await second.analytics.insertInferenceRecords([{ id: 'r1', at: T0, endpoint: 'chat', model: 'm', tenantId: null, source: null, tokensIn: 1, tokensOut: 2, latencyMs: 3, status: 'ok' }]),
    { inserted: 0, duplicates: 1 }, 'ids remembered')
  t.equal((await second.analytics.listEndpoints({ since: null, until: null, order: 'asc', limit: 10, offset: 0 })).items.length, 1)
})
