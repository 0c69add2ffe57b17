import t, { type Test } from 'tap'
import { productParts } from '../../../control-plane/product-parts.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { lateHistoryBuckets } from '../../../control-plane/telemetry/with-late-history-marks.ts'
import { cpHarness, isError, T0 } from '../cp-harness.ts'
import { sample } from '../store/telemetry-repository-suite.ts'

const MIN = 60_000

async function setup (t: Test, failMarks = false) {
  const base = await openSqliteStore(':memory:')
  t.teardown(() => base.close())
  let marks = 0
  const store: Store = {
    ...base,
    gpuHistory: {
      ...base.gpuHistory,
      async markDirty (buckets) {
        marks += buckets.length
        if (failMarks) throw new Error('the store is gone')
        return base.gpuHistory.markDirty(buckets)
      },
    },
  }
  const h = await cpHarness(t, { store, routers: productParts().routers, keepAlive: true })
  const cluster = await h.req('POST', '/api/clusters', { key: h.root, body: { name: 'lab' } })
  const push = (at: number) => h.req('POST', '/api/gpu-stats', {
    key: cluster.body.api_key,
    body: { node: { hostname: 'edge-01', cluster: 'lab' }, gpus: [{ gpu_id: 0, recorded_at: new Date(at).toISOString(), name: 'NVIDIA B200', utilization_pct: 5 }] },
  })
  return { h, store, push, marks: () => marks }
}

t.test('ingest marks the history buckets of late rows, after the commit and before the answer', async t => {
  const { store, push, marks } = await setup(t)
  t.equal((await push(T0 - 1000)).status, 200)
  t.equal(marks(), 0, 'a fresh row (the 1 Hz push) writes nothing for the history')
  t.equal((await push(T0 - 10 * MIN)).status, 200)
  t.equal(marks(), 1, 'a replayed row marks its bucket')
  t.equal(await store.gpuHistory.rebuildDirty(100), 1, 'which the loop rebuilds')
})

t.test('a failed mark fails the push (503: the agent keeps its rows and retries; the retry marks again)', async t => {
  const { h, push } = await setup(t, true)
  isError(t, await push(T0 - 10 * MIN), 503, 'STORE_UNAVAILABLE')
  t.equal((await push(T0 - 1000)).status, 200, 'fresh rows are unaffected')
  t.equal(await h.store.telemetry.countSamples(), 2, 'the late row was stored; its retry is a duplicate that marks again')
})

t.test('lateHistoryBuckets: each (node, 5-minute bucket) of the rows older than the cutoff, once', async t => {
  const at = Date.UTC(2026, 0, 1, 10, 0, 0)
  const batches = [
    { nodeId: 1, clusterId: 1, hostname: 'a', samples: [sample(0, at + 1000, 1), sample(1, at + 2000, 1), sample(0, at + 5 * MIN, 1), sample(0, at + 9 * MIN, 1)] },
    { nodeId: 2, clusterId: 1, hostname: 'b', samples: [sample(0, at + 1000, 1)] },
  ]
  t.same(lateHistoryBuckets(batches, at + 9 * MIN), [{ nodeId: 1, bucketAt: at }, { nodeId: 1, bucketAt: at + 5 * MIN }, { nodeId: 2, bucketAt: at }])
  t.same(lateHistoryBuckets(batches, at), [])
})
