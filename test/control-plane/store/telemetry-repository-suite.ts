import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import type { GpuSample, SampleBatch, TelemetryRepository } from '../../../control-plane/store/telemetry-repository.ts'
import { noGpuReadings } from '../../helpers/no-gpu-readings.ts'

/**
 * The telemetry repository contract, written against the interface only: every store engine
 * (SQLite now, PostgreSQL later) runs this same suite with its own factory.
 */
export type StoreFactory = () => Promise<Store>

const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)
const MIN = 60_000
const DAY = 86_400_000

export function sample (gpuId: number, recordedAt: number, powerDrawW: number | null, over: Partial<GpuSample> = {}): GpuSample {
  return {
    ...noGpuReadings(),
    gpuId,
    recordedAt,
    name: 'NVIDIA B200',
    uuid: `GPU-${gpuId}`,
    pciBusId: null,
    powerDrawW,
    tempC: 50,
    memoryUsedMb: 1000,
    memoryTotalMb: 183359,
    utilizationPct: 80,
    powerDrawAvgW: null,
    powerLimitW: null,
    memoryTempC: null,
    memoryReservedMb: null,
    memoryUtilizationPct: null,
    smClockMhz: null,
    memClockMhz: null,
    eccErrorsCorrected: null,
    eccErrorsUncorrected: null,
    ...over,
  }
}

const batch = (nodeId: number, clusterId: number | null, samples: GpuSample[], hostname = `node-${nodeId}`): SampleBatch =>
  ({ nodeId, clusterId, hostname, samples })

/** One tick of `gpus` GPUs at `at`, GPU g drawing watts(g). */
const tick = (at: number, watts: (g: number) => number, gpus = 8) => Array.from({ length: gpus }, (_, g) => sample(g, at, watts(g)))

/**
 * `compactedAfterEveryWrite`: the store compacts after every write (test/helpers/compacting-store.ts),
 * so each write thaws the blocks of its spans first; the cases whose answers cannot depend on
 * where older rows live (head or blocks) are skipped there, with their reason.
 */
export function telemetryRepositorySuite (t: Test, openStore: StoreFactory, { compactedAfterEveryWrite = false } = {}): void {
  async function withRepo (t: Test): Promise<TelemetryRepository> {
    const store = await openStore()
    t.teardown(() => store.close())
    return store.telemetry
  }

  t.test('stores samples and reports what was new; latest round-trips every field', async t => {
    const repo = await withRepo(t)
    const full = sample(3, T0 + 250, 612.4, {
      uuid: 'GPU-abc', pciBusId: '00000000:1B:00.0', tempC: 47, memoryUsedMb: 173456, utilizationPct: 84, powerDrawAvgW: 600.5,
      powerLimitW: 1000, memoryTempC: 45, memoryReservedMb: 512, memoryUtilizationPct: 35, smClockMhz: 1965, memClockMhz: 3996,
      eccErrorsCorrected: 2, eccErrorsUncorrected: 0,
    })
    const [r] = await repo.insertSamples([batch(7, 2, [full, sample(0, T0, null)], 'gpu-host-7')])
    t.equal(r!.inserted, 2)
    t.equal(r!.duplicates, 0)
    t.same(r!.newest.map(s => s.gpuId), [0, 3])
    const latest = await repo.latest()
    t.equal(latest.length, 2)
    t.match(latest[1], { ...full, nodeId: 7, clusterId: 2, hostname: 'gpu-host-7' })
    t.type(latest[1]!.id, 'number')
    t.equal(latest[0]!.powerDrawW, null)
    t.equal(await repo.countSamples(), 2)
  })

  t.test('idempotent per (node, gpu_id, recorded_at): re-sent rows are ignored', async t => {
    const repo = await withRepo(t)
    const rows = [...tick(T0, () => 500), ...tick(T0 + 1000, () => 510)]
    const [first] = await repo.insertSamples([batch(1, 1, rows)])
    t.equal(first!.inserted, 16)
    const [again] = await repo.insertSamples([batch(1, 1, rows.map(s => ({ ...s })))])
    t.same({ inserted: again!.inserted, duplicates: again!.duplicates, newest: again!.newest }, { inserted: 0, duplicates: 16, newest: [] })
    // Partly new, with a row repeated inside the batch and one repeated across two batches of one commit.
    const [a, b] = await repo.insertSamples([
      batch(1, 1, [sample(0, T0, 1), sample(0, T0 + 2000, 520), sample(0, T0 + 2000, 520)]),
      batch(1, 1, [sample(0, T0 + 2000, 520), sample(1, T0 + 2000, 530)]),
    ])
    t.same([a!.inserted, a!.duplicates], [1, 2])
    t.same([b!.inserted, b!.duplicates], [1, 1])
    t.equal(await repo.countSamples(), 18)
    // The same gpu_id and time on another node is another row.
    await repo.insertSamples([batch(2, 1, [sample(0, T0, 1)])])
    t.equal(await repo.countSamples(), 19)
    t.equal(await repo.countSamples({ nodeId: 1 }), 18)
    t.equal(await repo.countSamples({ fromMs: T0 + 1000, toMs: T0 + 2000 }), 8)
    // Duplicates count nowhere: 18 samples, max second still the 8 × 510 W tick.
    const [m] = await repo.minuteRollups({ kind: 'node', nodeId: 1 }, T0, T0 + MIN)
    t.equal(m!.samples, 18)
    t.equal(m!.powerMaxW, 4080)
  })

  t.test('a late replay never regresses latest; identity follows the newest sample', async t => {
    const repo = await withRepo(t)
    await repo.insertSamples([batch(1, 1, [sample(0, T0 + 5000, 700, { name: 'NVIDIA B200 (new)' })])])
    const [late] = await repo.insertSamples([batch(1, 1, [sample(0, T0, 300, { name: 'old name' })], 'old-host')])
    t.equal(late!.inserted, 1, 'the old row is stored for history')
    const [row] = await repo.latest({ nodeId: 1 })
    t.equal(row!.recordedAt, T0 + 5000)
    t.equal(row!.powerDrawW, 700)
    t.equal(row!.name, 'NVIDIA B200 (new)')
    t.equal(row!.hostname, 'node-1')
  })

  t.test('latest advances exactly the GPUs a push carries: a run of ids, ids with gaps, a GPU left out, a late one', async t => {
    const repo = await withRepo(t)
    const at = (rows: Array<{ gpuId: number, recordedAt: number }>) => rows.map(r => `${r.gpuId}@${(r.recordedAt - T0) / 1000}`)
    await repo.insertSamples([batch(1, 1, [0, 1, 2, 3, 4, 5, 6, 7].map(g => sample(g, T0, 100)))])
    await repo.insertSamples([batch(1, 1, [2, 3, 4].map(g => sample(g, T0 + 1000, 100)))])
    t.same(at(await repo.latest({ nodeId: 1 })), ['0@0', '1@0', '2@1', '3@1', '4@1', '5@0', '6@0', '7@0'], 'a run: only its GPUs')
    await repo.insertSamples([batch(1, 1, [1, 3, 7].map(g => sample(g, T0 + 2000, 100)))])
    t.same(at(await repo.latest({ nodeId: 1 })), ['0@0', '1@2', '2@1', '3@2', '4@1', '5@0', '6@0', '7@2'], 'gaps: only its GPUs')
    // A run whose middle GPU is newer already (a late row for it): the others advance, it stays.
    await repo.insertSamples([batch(1, 1, [sample(3, T0 + 5000, 100)])])
    await repo.insertSamples([batch(1, 1, [2, 3, 4].map(g => sample(g, T0 + 3000, 100)))])
    t.same(at(await repo.latest({ nodeId: 1 })), ['0@0', '1@2', '2@3', '3@5', '4@3', '5@0', '6@0', '7@2'], 'never back in time')
    // A run reaching past the GPUs known so far: the new one is added.
    await repo.insertSamples([batch(1, 1, [6, 7, 8].map(g => sample(g, T0 + 4000, 100)))])
    t.same(at(await repo.latest({ nodeId: 1 })), ['0@0', '1@2', '2@3', '3@5', '4@3', '5@0', '6@4', '7@4', '8@4'], 'a new GPU joins')
  })

  t.test('latest: ordered by node then gpu, filtered by node, cluster or hostname', async t => {
    const repo = await withRepo(t)
    await repo.insertSamples([
      batch(5, 2, [sample(2, T0, 1), sample(0, T0, 1)]),
      batch(3, 1, [sample(1, T0, 1), sample(0, T0, 1)]),
      batch(9, null, [sample(0, T0, 1)]),
    ])
    const key = (rows: Array<{ nodeId: number, gpuId: number }>) => rows.map(r => `${r.nodeId}/${r.gpuId}`)
    t.same(key(await repo.latest()), ['3/0', '3/1', '5/0', '5/2', '9/0'])
    t.same(key(await repo.latest({ nodeId: 5 })), ['5/0', '5/2'])
    t.same(key(await repo.latest({ clusterId: 1 })), ['3/0', '3/1'])
    t.same(key(await repo.latest({ hostname: 'node-9' })), ['9/0'])
    t.same(await repo.latest({ hostname: "x' OR 1=1 --" }), [])
  })

  t.test('rollups: MAX of the per-second sum, not the average, per node, cluster and fleet', async t => {
    const repo = await withRepo(t)
    // Node 1: 8 × 500 W for 59 s and one 8 × 900 W spike; AVG of the sums ≈ 4,054, MAX 7,200.
    const rows = Array.from({ length: 60 }, (_, s) => tick(T0 + s * 1000, () => (s === 30 ? 900 : 500))).flat()
    await repo.insertSamples([batch(1, 1, rows)])
    // Node 2 (same cluster) samples at other milliseconds of the same seconds: they add up.
    await repo.insertSamples([batch(2, 1, [sample(0, T0 + 30_700, 100), sample(0, T0 + 10_300, 50)])])
    // Node 3 in another cluster.
    await repo.insertSamples([batch(3, 2, [sample(0, T0 + 10_000, 5000)])])
    const [n1] = await repo.minuteRollups({ kind: 'node', nodeId: 1 }, T0, T0 + MIN)
    t.equal(n1!.powerMaxW, 7200)
    t.equal(n1!.samples, 480)
    t.equal(n1!.utilizationAvgPct, 80)
    t.ok(Math.abs(n1!.powerAvgW! - (59 * 500 + 900) / 60) < 1e-9, 'powerAvgW is the mean reading')
    t.equal((await repo.minuteRollups({ kind: 'cluster', clusterId: 1 }, T0, T0 + MIN))[0]!.powerMaxW, 7300)
    t.equal((await repo.minuteRollups({ kind: 'cluster', clusterId: 2 }, T0, T0 + MIN))[0]!.powerMaxW, 5000)
    // Fleet at T0+10 s: 4,000 (node 1) + 50 + 5,000 = 9,050 > 7,300 at T0+30 s.
    t.equal((await repo.minuteRollups({ kind: 'fleet' }, T0, T0 + MIN))[0]!.powerMaxW, 9050)
  })

  t.test('late rows land in already-rolled minutes and the MAX follows; incremental equals a rebuild', async t => {
    const repo = await withRepo(t)
    const scopes = [{ kind: 'fleet' as const }, { kind: 'cluster' as const, clusterId: 1 }, { kind: 'node' as const, nodeId: 1 },
      { kind: 'node' as const, nodeId: 2 }, { kind: 'node' as const, nodeId: 3 }]
    await repo.insertSamples([batch(1, 1, tick(T0, () => 100, 4))])
    t.equal((await repo.minuteRollups({ kind: 'fleet' }, T0, T0 + MIN))[0]!.powerMaxW, 400)
    // A spooled replay: the rest of that tick's GPUs, and another node, arrive later.
    await repo.insertSamples([batch(1, 1, [sample(4, T0, 100), sample(5, T0, 100)])])
    await repo.insertSamples([batch(2, 1, [sample(0, T0 + 999, 1000)])])
    t.equal((await repo.minuteRollups({ kind: 'fleet' }, T0, T0 + MIN))[0]!.powerMaxW, 1600)
    // Two more ticks of node 1 in that second arrive late, out of order: its latest (T0 + 20,
    // 50 W) is now its share of the second, so the fleet's second (and minute) drops to 1,050 W,
    // while node 1's own MAX is its largest tick.
    await repo.insertSamples([batch(1, 1, [sample(0, T0 + 20, 50)])])
    await repo.insertSamples([batch(1, 1, [sample(0, T0 + 10, 3000)])])
    t.equal((await repo.minuteRollups({ kind: 'fleet' }, T0, T0 + MIN))[0]!.powerMaxW, 1050)
    t.equal((await repo.minuteRollups({ kind: 'node', nodeId: 1 }, T0, T0 + MIN))[0]!.powerMaxW, 3000, 'a node keeps its largest tick')
    // Shuffled arrival of a 3-minute history from two nodes, with repeats and nulls.
    let seed = 7
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const history: SampleBatch[] = []
    for (let s = 1; s < 180; s += 1) {
      for (const node of [1, 2]) {
        history.push(batch(node, 1, tick(T0 + s * 1000 + node * 7, g => Math.round(rand() * 1000) + g, 3)
          .map(x => (rand() < 0.05 ? { ...x, powerDrawW: null, tempC: null, utilizationPct: null } : x))))
      }
    }
    // Node 3 at 250 ms with fluctuating power (several ticks per second), some ticks split in two pushes.
    for (let ms = 0; ms < 180_000; ms += 250) {
      const rows = tick(T0 + ms + 3, g => Math.round(rand() * 800) + g, 4)
      if (rand() < 0.2) history.push(batch(3, 1, rows.slice(0, 2)), batch(3, 1, rows.slice(2)))
      else history.push(batch(3, 1, rows))
    }
    history.sort(() => rand() - 0.5)
    for (let i = 0; i < history.length; i += 5) {
      await repo.insertSamples(history.slice(i, i + 5))
      if (rand() < 0.3) await repo.insertSamples([history[Math.floor(rand() * history.length)]!])
    }
    const snapshot = async () => Promise.all(scopes.map(s => repo.minuteRollups(s, T0 - MIN, T0 + 4 * MIN)))
    const incremental = await snapshot()
    await repo.rebuildRollups(T0 - MIN, T0 + 4 * MIN)
    const rebuilt = await snapshot()
    const round = (xs: typeof incremental) => JSON.stringify(xs, (_k, v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v))
    t.equal(round(incremental), round(rebuilt))
    t.equal(incremental[0]!.length, 3)
    // The coarse spans too (what powerBuckets reads for whole hours).
    const hourly = async () => repo.powerBuckets({ scope: { kind: 'fleet' }, fromMs: T0 - 60 * MIN, toMs: T0 + 60 * MIN, offsetMinutes: 0, bucketMinutes: 60 })
    const fives = async () => repo.powerBuckets({ scope: { kind: 'cluster', clusterId: 1 }, fromMs: T0 - 60 * MIN, toMs: T0 + 60 * MIN, offsetMinutes: 0, bucketMinutes: 5 })
    const [h, f] = [await hourly(), await fives()]
    t.equal(h.length, 1)
    t.equal(h[0]!.powerDrawW, Math.max(...incremental[0]!.map(m => m.powerMaxW!)), 'the hour is the MAX of its minutes')
    t.equal(f.length, 1)
    t.equal(f[0]!.powerDrawW, Math.max(...incremental[1]!.map(m => m.powerMaxW!)))
  })

  t.test('seed 000: two ticks of one node in one second are two samples, not one doubled sum', async t => {
    // Two pushes of the same two GPUs at …00.100Z and …00.600Z: 2 × 1000 W, then 2 × 1500 W.
    const scopes = [{ kind: 'fleet' as const }, { kind: 'cluster' as const, clusterId: 1 }, { kind: 'node' as const, nodeId: 1 }]
    const check = async (t: Test, repo: TelemetryRepository, want: number) => {
      for (const scope of scopes) {
        t.equal((await repo.minuteRollups(scope, T0, T0 + MIN))[0]!.powerMaxW, want, scope.kind)
        for (const bucketMinutes of [1, 5, 60]) {
          const [b] = await repo.powerBuckets({ scope, fromMs: T0 - 60 * MIN, toMs: T0 + 60 * MIN, offsetMinutes: 0, bucketMinutes })
          t.equal(b!.powerDrawW, want, `${scope.kind}, ${bucketMinutes}-minute buckets`)
        }
      }
    }
    t.test('one push each', async t => {
      const repo = await withRepo(t)
      await repo.insertSamples([batch(1, 1, tick(T0 + 100, () => 1000, 2))])
      await repo.insertSamples([batch(1, 1, tick(T0 + 600, () => 1500, 2))])
      await check(t, repo, 3000)
    })
    t.test('both in one group commit, and a replay of both', async t => {
      const repo = await withRepo(t)
      await repo.insertSamples([batch(1, 1, tick(T0 + 100, () => 1000, 2)), batch(1, 1, tick(T0 + 600, () => 1500, 2))])
      await check(t, repo, 3000)
      await repo.insertSamples([batch(1, 1, tick(T0 + 600, () => 1500, 2)), batch(1, 1, tick(T0 + 100, () => 1000, 2))])
      await check(t, repo, 3000)
    })
    t.test('arriving newest first', async t => {
      const repo = await withRepo(t)
      await repo.insertSamples([batch(1, 1, tick(T0 + 600, () => 1500, 2))])
      await repo.insertSamples([batch(1, 1, tick(T0 + 100, () => 1000, 2))])
      await check(t, repo, 3000)
    })
    t.test('a newer tick with less power: the node keeps its peak, its cluster and the fleet take the latest tick', async t => {
      const repo = await withRepo(t)
      await repo.insertSamples([batch(1, 1, tick(T0 + 100, () => 1500, 2))])
      await repo.insertSamples([batch(1, 1, tick(T0 + 600, () => 1000, 2))])
      t.equal((await repo.minuteRollups({ kind: 'node', nodeId: 1 }, T0, T0 + MIN))[0]!.powerMaxW, 3000)
      for (const scope of scopes.slice(0, 2)) {
        t.equal((await repo.minuteRollups(scope, T0, T0 + MIN))[0]!.powerMaxW, 2000, scope.kind)
        for (const bucketMinutes of [5, 60]) {
          const [b] = await repo.powerBuckets({ scope, fromMs: T0 - 60 * MIN, toMs: T0 + 60 * MIN, offsetMinutes: 0, bucketMinutes })
          t.equal(b!.powerDrawW, 2000, `${scope.kind}, ${bucketMinutes}-minute buckets`)
        }
      }
      // Another second of the same minute held more: the minute keeps it.
      await repo.insertSamples([batch(1, 1, tick(T0 + 5000, () => 1200, 2))])
      await repo.insertSamples([batch(1, 1, tick(T0 + 5500, () => 1100, 2))])
      t.equal((await repo.minuteRollups({ kind: 'fleet' }, T0, T0 + MIN))[0]!.powerMaxW, 2200)
    })
  })

  // Compacted after every write, this case thawed and resealed its node's whole span before each
  // of its 1,128 writes (234 s of PostgreSQL's 270 s): its pushes arrive in time order, every
  // second whole in one write, and it reads only rollups, so no answer of it reads a thawed
  // row; late rows into sealed spans are the cases above and below.
  const inTimeOrder = compactedAfterEveryWrite && 'writes in time order, reads only rollups: nothing it reads was ever in a block'
  t.test('any tick interval (250 ms … 60 s) gives the same power history as 1 s for steady power', { skip: inTimeOrder }, async t => {
    // Two nodes in one cluster, 8 GPUs at 250 W each: 2,000 W a node, 4,000 W the cluster and fleet.
    const answers: Record<number, number[]> = {}
    for (const intervalMs of [250, 500, 1000, 2000, 60_000]) {
      const store = await openStore()
      const repo = store.telemetry
      const pushes: SampleBatch[] = []
      for (const node of [1, 2]) {
        // The nodes tick at different milliseconds, as agents do.
        for (let at = T0 + node * 37; at < T0 + 10 * MIN; at += intervalMs) pushes.push(batch(node, 1, tick(at, () => 250)))
      }
      pushes.sort((a, b) => a.samples[0]!.recordedAt - b.samples[0]!.recordedAt)
      for (let i = 0; i < pushes.length; i += 8) await repo.insertSamples(pushes.slice(i, i + 8))
      const got: number[] = []
      for (const scope of [{ kind: 'node' as const, nodeId: 1 }, { kind: 'cluster' as const, clusterId: 1 }, { kind: 'fleet' as const }]) {
        for (const bucketMinutes of [1, 5, 60]) {
          const buckets = await repo.powerBuckets({ scope, fromMs: T0, toMs: T0 + 10 * MIN, offsetMinutes: 0, bucketMinutes })
          got.push(...buckets.map(b => b.powerDrawW))
        }
      }
      answers[intervalMs] = got
      await store.close()
    }
    for (const intervalMs of [250, 500, 2000, 60_000]) t.same(answers[intervalMs], answers[1000], `${intervalMs} ms`)
    t.same(answers[1000]!.slice(0, 10), Array(10).fill(2000), 'a node: 8 × 250 W per 1-minute bucket')
  })

  t.test('powerBuckets: wall-clock buckets under an offset, coarse spans give the same answer', async t => {
    const repo = await withRepo(t)
    // Two hours of 1 node: second s draws s W on GPU 0 (so each bucket's max is its last second).
    const start = T0 - 30 * MIN
    const rows = Array.from({ length: 7200 }, (_, s) => sample(0, start + s * 1000, s))
    for (let i = 0; i < rows.length; i += 600) await repo.insertSamples([batch(1, null, rows.slice(i, i + 600))])
    const scope = { kind: 'fleet' as const }
    // +09:00: 60-minute buckets start at local whole hours; the range's ragged ends use minute rows.
    const hourly = await repo.powerBuckets({ scope, fromMs: start + 7 * MIN, toMs: start + 113 * MIN, offsetMinutes: 540, bucketMinutes: 60 })
    t.same(hourly.map(b => [new Date(b.wallMs).toISOString(), b.powerDrawW]), [
      ['2026-04-26T12:00:00.000Z', (30 * 60) - 1],
      ['2026-04-26T13:00:00.000Z', (90 * 60) - 1],
      ['2026-04-26T14:00:00.000Z', (113 * 60) - 1],
    ])
    // +05:30: hour buckets start at :30 UTC; 5-minute rollups are used, same result as minutes.
    const ist = await repo.powerBuckets({ scope, fromMs: start, toMs: start + 120 * MIN, offsetMinutes: 330, bucketMinutes: 60 })
    t.same(ist.map(b => [new Date(b.wallMs).toISOString().slice(11, 16), b.powerDrawW]), [['09:00', 3599], ['10:00', 7199]])
    const seven = await repo.powerBuckets({ scope, fromMs: start, toMs: start + 120 * MIN, offsetMinutes: 0, bucketMinutes: 7 })
    t.equal(seven.length, 18, 'every 7-minute bucket of the 120 minutes, restarting at midnight UTC')
    t.same(seven.slice(0, 2).map(b => new Date(b.wallMs).toISOString().slice(11, 16)), ['03:30', '03:37'])
    t.same(await repo.powerBuckets({ scope: { kind: 'cluster', clusterId: 1 }, fromMs: start, toMs: start + 120 * MIN, offsetMinutes: 0, bucketMinutes: 5 }), [],
      'a node outside any cluster rolls up to no cluster')
  })

  t.test('prune: bounded steps; rollups outlive raw rows', async t => {
    const repo = await withRepo(t)
    const old = T0 - 10 * DAY
    await repo.insertSamples([batch(1, 1, Array.from({ length: 30 }, (_, s) => tick(old + s * 1000, () => 100, 2)).flat())])
    await repo.insertSamples([batch(2, 1, tick(old, () => 100, 2)), batch(1, 1, tick(T0, () => 200, 2))])
    t.equal(await repo.countSamples(), 64)
    const step1 = await repo.prune({ rawBefore: T0 - 7 * DAY, rollupBefore: T0 - 90 * DAY, limit: 25 })
    t.equal(step1.more, true)
    let more = step1.more
    while (more) more = (await repo.prune({ rawBefore: T0 - 7 * DAY, rollupBefore: T0 - 90 * DAY, limit: 25 })).more
    t.equal(await repo.countSamples(), 2, 'only the fresh tick is left')
    t.equal((await repo.minuteRollups({ kind: 'fleet' }, old, old + MIN))[0]!.powerMaxW, 400, 'the old minute still answers from its rollup')
    t.equal((await repo.latest()).length, 2, 'node 2 aged out of latest with its raw rows; node 1 has fresh rows')
    const r = await repo.prune({ rawBefore: T0 - 7 * DAY, rollupBefore: T0 - 9 * DAY, limit: 1000 })
    t.equal(r.more, false)
    t.same(await repo.minuteRollups({ kind: 'fleet' }, old, old + MIN), [])
    t.equal((await repo.minuteRollups({ kind: 'fleet' }, T0, T0 + MIN)).length, 1)
  })

  t.test('compaction: every row, field and count reads the same; the latest per GPU stays raw; replays stay duplicates', async t => {
    const repo = await withRepo(t)
    let seed = 3
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const pushes: SampleBatch[] = []
    for (let s = 0; s < 20 * 60; s += 3) {
      for (const node of [1, 2, 3]) {
        pushes.push(batch(node, node === 3 ? null : 1, Array.from({ length: 4 }, (_, g) => sample(g, T0 + s * 1000 + node * 11, Math.round(rand() * 70000) / 100, {
          utilizationPct: rand() < 0.1 ? null : Math.round(rand() * 100), tempC: 40 + (s % 7), powerDrawAvgW: rand() * 1000,
          eccErrorsCorrected: Math.floor(s / 100), pstate: 0, smClockMhz: 1965, memoryTotalMb: 183359,
        }))))
      }
    }
    for (let i = 0; i < pushes.length; i += 30) await repo.insertSamples(pushes.slice(i, i + 30))
    const read = async () => ({
      history: await Promise.all([[1, 0], [2, 3], [3, 1]].map(async ([n, g]) => repo.gpuHistory(n!, g!, T0 - MIN, T0 + 30 * MIN))),
      part: await repo.gpuHistory(2, 2, T0 + 4 * MIN + 321, T0 + 11 * MIN + 5),
      counts: [await repo.countSamples(), await repo.countSamples({ nodeId: 2 }), await repo.countSamples({ fromMs: T0 + 7 * MIN + 5, toMs: T0 + 13 * MIN + 7 }),
        await repo.countSamples({ nodeId: 3, fromMs: T0 + 2 * MIN, toMs: T0 + 9 * MIN })],
      latest: await repo.latest(),
      minutes: await repo.minuteRollups({ kind: 'fleet' }, T0, T0 + 20 * MIN),
    })
    const raw = await read()
    t.equal(raw.history[0]!.length, 400)
    t.equal(raw.counts[0], 3 * 4 * 400)
    const first = await repo.compact({ before: T0 + 12 * MIN, limit: 100 })
    // (Already compacted when the store compacts after every write.)
    t.ok(first.moved === 0 || first.more, 'a bounded step')
    for (let more = true; more;) more = (await repo.compact({ before: T0 + 12 * MIN, limit: 100 })).more
    t.same(await read(), raw, 'half compacted')
    for (let more = true; more;) more = (await repo.compact({ before: T0 + 60 * MIN, limit: 1_000_000 })).more
    t.same(await read(), raw, 'all compacted')
    t.same(await repo.compact({ before: T0 + 60 * MIN, limit: 10 }), { moved: 0, more: false }, 'nothing left: the latest rows stay raw')
    // A replay of the whole history lands in compacted time: all duplicates, nothing changes.
    let duplicates = 0
    for (let i = 0; i < pushes.length; i += 90) {
      for (const r of await repo.insertSamples(pushes.slice(i, i + 90).map(b => ({ ...b, samples: b.samples.map(x => ({ ...x })) })))) {
        t.equal(r.inserted, 0)
        duplicates += r.duplicates
      }
    }
    t.equal(duplicates, 3 * 4 * 400)
    t.same(await read(), raw, 'after the replay')
  })

  t.test('prune: compacted rows age out like raw ones', async t => {
    const repo = await withRepo(t)
    const old = T0 - 10 * DAY
    await repo.insertSamples([batch(1, 1, Array.from({ length: 30 }, (_, s) => tick(old + s * 10_000, () => 100, 2)).flat())])
    await repo.insertSamples([batch(1, 1, tick(T0, () => 200, 2))])
    for (let more = true; more;) more = (await repo.compact({ before: T0 - DAY, limit: 1000 })).more
    t.equal(await repo.countSamples(), 62)
    for (let more = true; more;) more = (await repo.prune({ rawBefore: T0 - 7 * DAY, rollupBefore: T0 - 90 * DAY, limit: 10 })).more
    t.equal(await repo.countSamples(), 2)
    t.same(await repo.gpuHistory(1, 0, old - DAY, T0), [])
    t.equal((await repo.minuteRollups({ kind: 'fleet' }, old, old + MIN))[0]!.powerMaxW, 200, 'rollups outlive them')
  })

  t.test('insertSamples is one transaction: a failing batch stores nothing of the group', async t => {
    const repo = await withRepo(t)
    // A value no engine can store: the statement throws mid-transaction.
    const bad = { ...sample(1, T0, 1), powerDrawW: { watts: 1 } as unknown as number }
    await t.rejects(repo.insertSamples([batch(1, 1, tick(T0, () => 100)), batch(2, 1, [bad])]))
    t.equal(await repo.countSamples(), 0)
    t.same(await repo.latest(), [])
    t.same(await repo.minuteRollups({ kind: 'fleet' }, T0, T0 + MIN), [])
    // And the repository is usable afterwards.
    const [r] = await repo.insertSamples([batch(1, 1, tick(T0, () => 100))])
    t.equal(r!.inserted, 8)
  })
}
