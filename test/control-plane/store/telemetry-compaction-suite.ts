import type { Test } from 'tap'
import type { SampleBatch, TelemetryRepository } from '../../../control-plane/store/telemetry-repository.ts'
import { sample, type StoreFactory } from './telemetry-repository-suite.ts'

const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)
const MIN = 60_000

/** Node `node`'s tick at `at`: GPUs 0 and 1, no cluster (only the fleet's per-second sums). */
const tick = (node: number, at: number): SampleBatch =>
  ({ nodeId: node, clusterId: null, hostname: `node-${node}`, samples: [0, 1].map(g => sample(g, at, 100 * node + g + (at / 1000) % 17)) })

/**
 * Compaction steps on a store that compacts only when told (the plain stores, not the
 * compacting one): the bound of a step, a span left half done, an agent whose clock lags.
 */
export function telemetryCompactionSuite (t: Test, openStore: StoreFactory): void {
  async function withRepo (t: Test): Promise<TelemetryRepository> {
    const store = await openStore()
    t.teardown(() => store.close())
    return store.telemetry
  }

  t.test('a span compacted over several bounded steps, with pushes between them, reads exactly as the raw store', async t => {
    const [repo, ref] = [await withRepo(t), await withRepo(t)]
    const both = async (batches: SampleBatch[]) => { await repo.insertSamples(batches); await ref.insertSamples(batches) }
    const nodes = [1, 2, 3, 4, 5]
    // 20 minutes of 1 s ticks: a node's 5-minute span is 2 × 300 = 600 rows.
    for (let s = 0; s < 20 * 60; s += 30) await both(Array.from({ length: 30 }, (_, i) => nodes.map(n => tick(n, T0 + (s + i) * 1000))).flat())
    const read = async (r: TelemetryRepository) => ({
      counts: [await r.countSamples(), await r.countSamples({ nodeId: 3 }), await r.countSamples({ fromMs: T0 + 2 * MIN, toMs: T0 + 7 * MIN })],
      history: await Promise.all(nodes.map(n => r.gpuHistory(n, 1, T0, T0 + 30 * MIN))),
      minutes: await r.minuteRollups({ kind: 'fleet' }, T0, T0 + 30 * MIN),
      latest: (await r.latest()).map(({ id: _, ...l }) => l), // (a thawed row comes back under a new id)
    })
    const limit = 700
    let steps = 0
    for (let more = true; more; steps++) {
      const step = await repo.compact({ before: T0 + 5 * MIN, limit })
      more = step.more
      t.ok(step.moved <= limit + 600, `step ${steps}: ${step.moved} rows, about the limit (one node's span at most over)`)
      if (steps === 1) {
        // Half done: late rows into the span for a node already compacted and one not yet,
        // and a new tick of every node.
        await both([tick(1, T0 + 100_500), tick(5, T0 + 200_500), ...nodes.map(n => tick(n, T0 + 20 * MIN))])
      }
      t.same(await read(repo), await read(ref), `after step ${steps}`)
    }
    t.ok(steps >= 3, `the first span took ${steps} steps`)
    t.same(await repo.compact({ before: T0 + 5 * MIN, limit }), { moved: 0, more: false }, 'the span is done')
    for (let more = true; more;) more = (await repo.compact({ before: T0 + 30 * MIN, limit })).more
    t.same(await read(repo), await read(ref), 'all compacted')
  })

  t.test('a node whose clock lags: only its rows older than its newest row minus afterMs move', async t => {
    const repo = await withRepo(t)
    // Node 1 up to T0 + 4 h; node 2 (its clock 2 h behind) up to T0 + 2 h; 10 s ticks on the same seconds.
    for (let s = 0; s <= 4 * 3600; s += 600) {
      const batches: SampleBatch[] = []
      for (let i = s; i < s + 600 && i <= 4 * 3600; i += 10) {
        batches.push(tick(1, T0 + i * 1000))
        if (i <= 2 * 3600) batches.push(tick(2, T0 + i * 1000))
      }
      await repo.insertSamples(batches)
    }
    const afterMs = 70 * MIN
    const before = T0 + 4 * 60 * MIN - afterMs // T0 + 2 h 50 min
    let moved = 0
    for (let more = true; more;) {
      const step = await repo.compact({ before, limit: 100_000, afterMs })
      moved += step.moved
      more = step.more
    }
    // Node 1: its ticks before T0 + 2 h 50 min (1,020 × 2 GPUs); node 2 only before its
    // T0 + 2 h − 70 min = T0 + 50 min (300 × 2); the fleet's seconds before T0 + 2 h 50 min (1,020).
    t.equal(moved, 1020 * 2 + 300 * 2 + 1020, 'node 2\'s last 70 minutes stay raw')
    t.equal(await repo.countSamples(), 1441 * 2 + 721 * 2)

    // Its next push lands in time compacted for the fleet but not for it: its rows stay raw.
    await repo.insertSamples([tick(2, T0 + 2 * 3600_000 + 10_000)])
    moved = 0
    for (let more = true; more;) {
      const step = await repo.compact({ before, limit: 100_000, afterMs })
      moved += step.moved
      more = step.more
    }
    t.equal(moved, 30, 'only the fleet\'s seconds of that span are sealed again (no rows of node 2)')
    t.equal((await repo.gpuHistory(2, 0, T0, T0 + 3 * 3600_000)).length, 722)
  })
}
