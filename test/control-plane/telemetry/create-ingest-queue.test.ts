import t from 'tap'
import { createIngestQueue, IngestQueueFullError, type CommitInfo } from '../../../control-plane/telemetry/create-ingest-queue.ts'
import type { SampleBatch, SampleBatchResult } from '../../../control-plane/store/telemetry-repository.ts'
import type { TelemetryTimers } from '../../../control-plane/telemetry/telemetry-timers.ts'
import { sample } from '../store/telemetry-repository-suite.ts'

/** Timers the test fires by hand. */
function fakeTimers () {
  const pending = new Map<number, { fn: () => void, ms: number }>()
  let id = 0
  const timers: TelemetryTimers = {
    setTimeout: (fn, ms) => { pending.set(++id, { fn, ms }); return id },
    clearTimeout: h => { pending.delete(h as number) },
    setImmediate: fn => fn(),
  }
  return {
    timers,
    pending,
    async fire () {
      const all = [...pending.values()]
      pending.clear()
      for (const p of all) p.fn()
      for (let i = 0; i < 5; i++) await Promise.resolve()
    },
  }
}

const batch = (nodeId: number, rows = 8): SampleBatch => ({ nodeId, clusterId: 1, hostname: null, samples: Array.from({ length: rows }, (_, g) => sample(g, 1000, 1)) })

function fakeStore (fail: (batches: readonly SampleBatch[]) => boolean = () => false) {
  const calls: number[][] = []
  return {
    calls,
    async insertSamples (batches: readonly SampleBatch[]): Promise<SampleBatchResult[]> {
      calls.push(batches.map(b => b.nodeId))
      if (fail(batches)) throw new Error('commit failed')
      return batches.map(b => ({ inserted: b.samples.length, duplicates: 0, newest: [] }))
    },
  }
}

t.test('requests within the window share one transaction; each resolves with its own result', async t => {
  const clock = fakeTimers()
  const store = fakeStore()
  const commits: CommitInfo[] = []
  const q = createIngestQueue({ store, timers: clock.timers, windowMs: 3, onCommit: i => commits.push(i) })
  const results = [q.submit(batch(1)), q.submit(batch(2, 3)), q.submit(batch(3))]
  t.same(store.calls, [], 'nothing is written before the window closes')
  t.same([...clock.pending.values()].map(p => p.ms), [3], 'one timer for the group')
  await clock.fire()
  t.same(store.calls, [[1, 2, 3]])
  t.same((await Promise.all(results)).map(r => r.inserted), [8, 3, 8])
  t.match(commits, [{ batches: 3, rows: 19, ok: true }])
  q.submit(batch(4))
  await clock.fire()
  t.same(store.calls, [[1, 2, 3], [4]])
})

t.test('maxRows queued: commit at once, without waiting for the window', async t => {
  const clock = fakeTimers()
  const store = fakeStore()
  const q = createIngestQueue({ store, timers: clock.timers, windowMs: 50, maxRows: 16 })
  const a = q.submit(batch(1))
  t.equal(clock.pending.size, 1)
  const b = q.submit(batch(2))
  t.equal(clock.pending.size, 0, 'the window timer is cancelled')
  await Promise.all([a, b])
  t.same(store.calls, [[1, 2]])
})

t.test('maxRows bounds one transaction: a backlog queued behind a slow commit is split, batches whole, in order', async t => {
  const clock = fakeTimers()
  let release: () => void = () => {}
  const calls: number[][] = []
  const store = {
    async insertSamples (batches: readonly SampleBatch[]): Promise<SampleBatchResult[]> {
      calls.push(batches.map(b => b.nodeId))
      // The first commit is slow: everything below queues up behind it.
      if (calls.length === 1) await new Promise<void>(resolve => { release = resolve })
      return batches.map(b => ({ inserted: b.samples.length, duplicates: 0, newest: [] }))
    },
  }
  const commits: CommitInfo[] = []
  const q = createIngestQueue({ store, timers: clock.timers, windowMs: 1, maxRows: 16, onCommit: i => commits.push(i) })
  const first = q.submit(batch(1))
  await clock.fire()
  t.same(calls, [[1]], 'the first commit is running')
  const later = [q.submit(batch(2)), q.submit(batch(3)), q.submit(batch(4, 20)), q.submit(batch(5)), q.submit(batch(6, 4)), q.submit(batch(7))]
  release()
  await Promise.all([first, ...later])
  t.same(calls, [[1], [2, 3], [4], [5, 6], [7]], '≤ 16 rows each; the 20-row batch alone; arrival order kept')
  t.same(commits.map(c => c.rows), [8, 16, 20, 12, 8])
})

t.test('a failed transaction: each request retried alone, so only the poisonous one fails', async t => {
  const clock = fakeTimers()
  const store = fakeStore(batches => batches.some(b => b.nodeId === 2))
  const q = createIngestQueue({ store, timers: clock.timers })
  const results = [1, 2, 3].map(n => q.submit(batch(n)).then(r => r.inserted, (e: Error) => e.message))
  await clock.fire()
  t.same(await Promise.all(results), [8, 'commit failed', 8])
  t.same(store.calls, [[1, 2, 3], [1], [2], [3]])
})

t.test('a store that fails every commit rejects every request, never resolves one', async t => {
  const clock = fakeTimers()
  const q = createIngestQueue({ store: fakeStore(() => true), timers: clock.timers })
  const results = [1, 2].map(n => q.submit(batch(n)).then(() => 'ok', () => 'rejected'))
  await clock.fire()
  t.same(await Promise.all(results), ['rejected', 'rejected'])
})

t.test('what queues during a slow commit goes into the next one, right after it', async t => {
  const clock = fakeTimers()
  let release: () => void = () => {}
  const calls: number[][] = []
  const store = {
    async insertSamples (batches: readonly SampleBatch[]) {
      calls.push(batches.map(b => b.nodeId))
      if (calls.length === 1) await new Promise<void>(resolve => { release = resolve })
      return batches.map(b => ({ inserted: b.samples.length, duplicates: 0, newest: [] }))
    },
  }
  const q = createIngestQueue({ store, timers: clock.timers })
  const first = q.submit(batch(1))
  await clock.fire()
  const later = [q.submit(batch(2)), q.submit(batch(3))]
  t.equal(clock.pending.size, 0, 'no timer while a commit is in flight')
  release()
  await Promise.all([first, ...later])
  t.same(calls, [[1], [2, 3]])
  await q.drain()
})

t.test('drain commits what is queued; options are checked', async t => {
  const clock = fakeTimers()
  const store = fakeStore()
  const q = createIngestQueue({ store, timers: clock.timers, windowMs: 1000 })
  const p = q.submit(batch(1))
  await q.drain()
  t.equal((await p).inserted, 8)
  t.throws(() => createIngestQueue({ store, windowMs: -1 }), /windowMs/)
  t.throws(() => createIngestQueue({ store, maxRows: 0 }), /maxRows/)
})

t.test('maxQueuedRows: a batch that would take the waiting rows past it is refused at once; a lone large one is taken', async t => {
  const clock = fakeTimers()
  const store = fakeStore()
  const queue = createIngestQueue({ store, timers: clock.timers, windowMs: 2, maxRows: 100, maxQueuedRows: 16 })
  const a = queue.submit(batch(1))
  const b = queue.submit(batch(2))
  await t.rejects(queue.submit(batch(3)), IngestQueueFullError)
  await clock.fire()
  t.same(await Promise.all([a, b]), [{ inserted: 8, duplicates: 0, newest: [] }, { inserted: 8, duplicates: 0, newest: [] }])
  t.same(store.calls, [[1, 2]], 'the refused batch never reached the store')
  const large = queue.submit(batch(4, 40))
  await clock.fire()
  t.match(await large, { inserted: 40 }, 'larger than the bound, but nothing else waited')
  t.throws(() => createIngestQueue({ store, maxQueuedRows: 0 }), /maxQueuedRows/)
})
