import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import type { GpuSample } from '../../../control-plane/store/telemetry-repository.ts'
import type { GpuHistoryBucket } from '../../../control-plane/store/gpu-history-repository.ts'
import { createGpuHistoryLoop, HISTORY_LATE_AFTER_MS } from '../../../control-plane/loops/create-gpu-history-loop.ts'
import { queryGpuHistory } from '../../../control-plane/fleet/query-gpu-history.ts'
import { withLateHistoryMarks } from '../../../control-plane/telemetry/with-late-history-marks.ts'
import { sample } from './telemetry-repository-suite.ts'
import { freshStore, type StoreFactory } from './fresh-store.ts'

const MIN = 60_000
const FIVE = 5 * MIN
const HOUR = 60 * MIN
const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)

/** Readings that vary with node, GPU and time (a few missing), so averages are not trivial. */
function reading (nodeId: number, gpuId: number, at: number): GpuSample {
  const k = (at / 10_000) + nodeId * 7 + gpuId * 3
  return sample(gpuId, at, k % 11 === 0 ? null : 300 + (k * 37) % 400, {
    utilizationPct: k % 13 === 0 ? null : (k * 17) % 101,
    tempC: 40 + (k * 7) % 45,
    memoryUsedMb: 1000 * ((k * 5) % 80),
    memoryTotalMb: 81_920,
  })
}

/** Every 10 s of [from, to), for GPUs 0..gpus-1 of a node. */
function rows (nodeId: number, from: number, to: number, gpus = 2): GpuSample[] {
  const out: GpuSample[] = []
  for (let at = from; at < to; at += 10_000) for (let g = 0; g < gpus; g++) out.push(reading(nodeId, g, at))
  return out
}

/** What a bucket must hold, computed here from the raw rows themselves. */
function expected (samples: readonly GpuSample[]): Omit<GpuHistoryBucket, 'gpuId' | 'bucketAt'> {
  const vals = (f: (s: GpuSample) => number | null) => samples.map(f).filter((v): v is number => v !== null)
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
  const max = (xs: number[]) => xs.length === 0 ? null : Math.max(...xs)
  const u = vals(s => s.utilizationPct)
  const tc = vals(s => s.tempC)
  const m = vals(s => s.memoryUsedMb)
  const p = vals(s => s.powerDrawW)
  return {
    samples: samples.length,
    utilSum: sum(u), utilN: u.length, utilMax: max(u),
    tempSum: sum(tc), tempN: tc.length, tempMax: max(tc),
    memSum: sum(m), memN: m.length, memMax: max(m), memTotal: max(vals(s => s.memoryTotalMb)),
    powerSum: sum(p), powerN: p.length, powerMax: max(p),
  }
}

function same (t: Test, got: GpuHistoryBucket | undefined, want: ReturnType<typeof expected>, what: string): void {
  if (got === undefined) { t.fail(`${what}: no bucket`); return }
  for (const [k, v] of Object.entries(want)) {
    const g: number | null | undefined = (got as unknown as Record<string, number | null>)[k]
    if (v === null || g === null) t.equal(g, v, `${what}: ${k}`)
    else t.ok(Math.abs(g! - v) < 1e-6 * Math.max(1, Math.abs(v)), `${what}: ${k} ${g} ≈ ${v}`)
  }
}

const inBucket = (samples: readonly GpuSample[], gpuId: number, from: number, to: number) =>
  samples.filter(s => s.gpuId === gpuId && s.recordedAt >= from && s.recordedAt < to)

/** The per-GPU history contract on one engine (SQLite and PostgreSQL run the same suite). */
export function gpuHistorySuite (t: Test, openStore: StoreFactory): void {
  const fresh = freshStore(openStore)
  const insert = (store: Store, nodeId: number, samples: GpuSample[]) =>
    store.telemetry.insertSamples([{ nodeId, clusterId: 1, hostname: `node-${nodeId}`, samples }])

  t.test('the loop builds 5-minute and hour buckets equal to what the raw rows average to', async t => {
    const store = await fresh(t)
    const a = rows(1, T0, T0 + 14 * MIN)
    const b = rows(2, T0 + 3 * MIN, T0 + 14 * MIN, 3)
    await insert(store, 1, a)
    await insert(store, 2, b)
    let clock = T0 + 15 * MIN
    const loop = createGpuHistoryLoop({ store, now: () => clock })
    t.equal(await store.gpuHistory.watermark(), null, 'no watermark before the first pass')
    const pass = await loop.tick()
    // Settled: 15 min − 2 min → 13 min, floored to the 5-minute bucket.
    t.match(pass, { from: T0 + 15 * MIN - HOUR, to: T0 + 10 * MIN })
    t.equal(await store.gpuHistory.watermark(), T0 + 10 * MIN)

    const fives = await store.gpuHistory.buckets({ nodeId: 1, fromMs: T0, toMs: T0 + HOUR, span: 5 })
    t.same(fives.map(x => [x.gpuId, x.bucketAt]), [[0, T0], [0, T0 + FIVE], [1, T0], [1, T0 + FIVE]], 'settled buckets only, by GPU then time')
    for (const x of fives) same(t, x, expected(inBucket(a, x.gpuId, x.bucketAt, x.bucketAt + FIVE)), `node 1 GPU ${x.gpuId} at +${(x.bucketAt - T0) / MIN} min`)
    const gpu2 = await store.gpuHistory.buckets({ nodeId: 2, gpuId: 2, fromMs: T0, toMs: T0 + HOUR, span: 5 })
    t.same(gpu2.map(x => x.bucketAt), [T0, T0 + FIVE], 'one GPU of another node')
    same(t, gpu2[0], expected(inBucket(b, 2, T0, T0 + FIVE)), 'a bucket that started mid-way')
    const hours = await store.gpuHistory.buckets({ nodeId: 1, fromMs: T0, toMs: T0 + HOUR, span: 60 })
    t.equal(hours.length, 2, 'one hour bucket per GPU')
    same(t, hours.find(h => h.gpuId === 1), expected(inBucket(a, 1, T0, T0 + 10 * MIN)), 'the hour so far is the sum of its 5-minute buckets')
    t.same(await store.gpuHistory.gpuIds(2), [0, 1, 2])

    clock = T0 + 20 * MIN
    const next = await loop.tick()
    t.match(next, { from: T0 + 10 * MIN, to: T0 + 15 * MIN })
    const hour = (await store.gpuHistory.buckets({ nodeId: 1, gpuId: 0, fromMs: T0, toMs: T0 + HOUR, span: 60 }))[0]
    same(t, hour, expected(inBucket(a, 0, T0, T0 + 15 * MIN)), 'the hour grows with each pass')
    const again = await loop.tick()
    t.match(again, { from: T0 + 15 * MIN, to: T0 + 15 * MIN, written: 0 }, 'nothing newly settled: nothing read')
  })

  t.test('a late row (a replay, another replica\'s push) reaches its bucket exactly', async t => {
    const store = await fresh(t)
    const a = rows(1, T0, T0 + 10 * MIN)
    await insert(store, 1, a)
    let clock = T0 + 13 * MIN
    const loop = createGpuHistoryLoop({ store, now: () => clock })
    await loop.tick()
    const before = (await store.gpuHistory.buckets({ nodeId: 1, gpuId: 0, fromMs: T0, toMs: T0 + FIVE, span: 5 }))[0]
    same(t, before, expected(inBucket(a, 0, T0, T0 + FIVE)), 'built before the late row')

    // Ingest's store: rows older than the late threshold mark their buckets after the commit.
    const ingest = withLateHistoryMarks(store.telemetry, store.gpuHistory, () => clock, HISTORY_LATE_AFTER_MS)
    const late = [
      sample(0, T0 + 5_000, 999, { utilizationPct: 100, tempC: 99, memoryUsedMb: 80_000, memoryTotalMb: 81_920 }),
      sample(3, T0 + 7 * MIN + 1_000, 500, { utilizationPct: 1, tempC: 30, memoryUsedMb: 1, memoryTotalMb: 81_920 }),
    ]
    const fresh1 = sample(0, clock - 1_000, 100)
    await ingest.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'node-1', samples: [...late, fresh1] }])
    const after = [...a, ...late]
    clock += MIN
    const pass = await loop.tick()
    t.equal(pass.dirtyRebuilt, 2, 'the two late buckets, not the fresh row\'s')
    same(t, (await store.gpuHistory.buckets({ nodeId: 1, gpuId: 0, fromMs: T0, toMs: T0 + FIVE, span: 5 }))[0],
      expected(inBucket(after, 0, T0, T0 + FIVE)), 'the late row is in its bucket')
    same(t, (await store.gpuHistory.buckets({ nodeId: 1, gpuId: 3, fromMs: T0, toMs: T0 + HOUR, span: 5 }))[0],
      expected(inBucket(after, 3, T0 + FIVE, T0 + 2 * FIVE)), 'a GPU first heard of in a late row')
    same(t, (await store.gpuHistory.buckets({ nodeId: 1, gpuId: 0, fromMs: T0, toMs: T0 + HOUR, span: 60 }))[0],
      expected(inBucket(after, 0, T0, T0 + 10 * MIN)), 'and in its hour')
    t.equal(await store.gpuHistory.rebuildDirty(100), 0, 'the marks are cleared once rebuilt')

    // A replay of rows already stored (duplicates) marks again: harmless, same result.
    await ingest.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'node-1', samples: late }])
    t.equal(await store.gpuHistory.rebuildDirty(100), 2)
    same(t, (await store.gpuHistory.buckets({ nodeId: 1, gpuId: 0, fromMs: T0, toMs: T0 + FIVE, span: 5 }))[0],
      expected(inBucket(after, 0, T0, T0 + FIVE)), 'a rebuild is idempotent')
  })

  t.test('the raw reads of the newest hour bucket by minute as the rows average', async t => {
    const store = await fresh(t)
    const a = rows(4, T0, T0 + 3 * MIN, 2)
    await insert(store, 4, a)
    await insert(store, 5, rows(5, T0, T0 + 3 * MIN, 2))
    const got = await store.gpuHistory.rawBuckets({ nodeId: 4, fromMs: T0, toMs: T0 + 2 * MIN, stepMs: MIN })
    t.same(got.map(x => [x.gpuId, x.bucketAt]), [[0, T0], [0, T0 + MIN], [1, T0], [1, T0 + MIN]])
    for (const x of got) same(t, x, expected(inBucket(a, x.gpuId, x.bucketAt, x.bucketAt + MIN)), `raw minute GPU ${x.gpuId}`)
    t.same((await store.gpuHistory.rawBuckets({ nodeId: 4, gpuId: 1, fromMs: T0, toMs: T0 + 3 * MIN, stepMs: MIN })).map(x => x.gpuId), [1, 1, 1])
  })

  t.test('retention: buckets past it are deleted in bounded steps; after downtime the loop resumes within its lookback', async t => {
    const store = await fresh(t)
    await insert(store, 1, rows(1, T0, T0 + 10 * MIN, 1))
    const warnings: string[] = []
    let clock = T0 + 13 * MIN
    const loop = createGpuHistoryLoop({ store, now: () => clock, retentionMs: 90 * 86_400_000, pruneChunk: 1, log: { warn: (_o, m) => warnings.push(m) } })
    await loop.tick()
    t.equal((await store.gpuHistory.buckets({ nodeId: 1, fromMs: 0, toMs: T0 + HOUR, span: 5 })).length, 2)
    // 90 days and a bit later, after a long downtime: the watermark jumps to the lookback window.
    clock = T0 + 90 * 86_400_000 + HOUR
    const pass = await loop.tick()
    t.equal(pass.from, clock - HOUR, 'resumed at the lookback window, not at the old watermark')
    t.match(warnings, [/not read/])
    t.same(pass.pruned, 1, 'one bucket per step (pruneChunk)')
    const r = await store.gpuHistory.prune(T0 + HOUR, 100)
    t.same(r, { deleted: 2, more: false }, 'the rest: the other 5-minute bucket and the hour')
    t.same(await store.gpuHistory.buckets({ nodeId: 1, fromMs: 0, toMs: T0 + 2 * HOUR, span: 60 }), [])
  })

  t.test('the 1 h range: stored minutes as the raw rows average, the current minute the newest reading, one node only', async t => {
    const store = await fresh(t)
    let clock = T0 + 70 * MIN + 20_000
    const a = rows(1, T0, clock + 1, 3)
    await insert(store, 1, a)
    await insert(store, 2, rows(2, T0, clock + 1, 2))
    const loop = createGpuHistoryLoop({ store, now: () => clock })
    const pass = await loop.tick()
    t.match(await store.gpuHistory.minuteMarks(), { settledAt: T0 + 68 * MIN, builtAt: T0 + 70 * MIN }, 'built to the current minute, settled 2 min back')
    t.ok(pass.minutes > 0)
    const hour = await queryGpuHistory(store.gpuHistory, { nodeId: 1, range: '1h', now: clock })
    t.same([...hour.byGpu.keys()], [0, 1, 2], 'the node\'s GPUs, not the other node\'s')
    for (const [gpuId, list] of hour.byGpu) {
      t.equal(list.length, 61, `GPU ${gpuId}: a point per minute, the current one included`)
      for (const b of list.slice(0, -1)) same(t, b, expected(inBucket(a, gpuId, b.bucketAt, b.bucketAt + MIN)), `GPU ${gpuId} minute +${(b.bucketAt - T0) / MIN}`)
      same(t, list.at(-1), expected(inBucket(a, gpuId, clock, clock + 1)), `GPU ${gpuId}: the current minute is its newest reading`)
    }
    const one = await queryGpuHistory(store.gpuHistory, { nodeId: 1, gpuId: 2, range: '1h', now: clock })
    t.same([...one.byGpu.keys()], [2], 'one GPU')
    t.same(one.byGpu.get(2), hour.byGpu.get(2))
  })

  t.test('rows of the last hour that arrive late reach the 1 h range: re-read while provisional, rebuilt once marked', async t => {
    const store = await fresh(t)
    let clock = T0 + 30 * MIN
    const a = rows(1, T0, clock, 1)
    await insert(store, 1, a)
    const loop = createGpuHistoryLoop({ store, now: () => clock })
    await loop.tick()
    const ingest = withLateHistoryMarks(store.telemetry, store.gpuHistory, () => clock, HISTORY_LATE_AFTER_MS)
    // Committed after the pass: one 30 s old (not marked; its minute is provisional), one 20 min old (marked).
    const young = sample(0, T0 + 29 * MIN + 35_000, 999, { utilizationPct: 100, tempC: 90, memoryUsedMb: 5, memoryTotalMb: 81_920 })
    const old = sample(0, T0 + 10 * MIN + 5_000, 1, { utilizationPct: 0, tempC: 20, memoryUsedMb: 5, memoryTotalMb: 81_920 })
    await ingest.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'node-1', samples: [young, old] }])
    const after = [...a, young, old]
    clock += MIN
    const pass = await loop.tick()
    t.equal(pass.dirtyRebuilt, 1, 'only the old row was marked')
    const minute = async (at: number) => (await queryGpuHistory(store.gpuHistory, { nodeId: 1, range: '1h', now: clock })).byGpu.get(0)!.find(b => b.bucketAt === at)
    same(t, await minute(T0 + 29 * MIN), expected(inBucket(after, 0, T0 + 29 * MIN, T0 + 30 * MIN)), 'the young row: its minute re-read')
    same(t, await minute(T0 + 10 * MIN), expected(inBucket(after, 0, T0 + 10 * MIN, T0 + 11 * MIN)), 'the old row: its minute rebuilt')
    same(t, (await store.gpuHistory.buckets({ nodeId: 1, gpuId: 0, fromMs: T0 + 10 * MIN, toMs: T0 + 15 * MIN, span: 5 }))[0],
      expected(inBucket(after, 0, T0 + 10 * MIN, T0 + 15 * MIN)), 'and its 5-minute bucket, summed from the minutes')
  })

  t.test('1-minute buckets are kept about 2 hours: the loop prunes them in bounded steps, the others stay', async t => {
    const store = await fresh(t)
    await insert(store, 1, rows(1, T0, T0 + 10 * MIN, 2))
    let clock = T0 + 12 * MIN
    const loop = createGpuHistoryLoop({ store, now: () => clock, minutePruneChunk: 15 })
    await loop.tick()
    const minutes = () => store.gpuHistory.buckets({ nodeId: 1, fromMs: 0, toMs: T0 + 3 * HOUR, span: 1 })
    t.equal((await minutes()).length, 20, '10 minutes × 2 GPUs')
    clock = T0 + 2 * HOUR + 12 * MIN
    const pass = await loop.tick()
    t.equal(pass.minutesPruned, 15, 'minutePruneChunk per pass')
    t.equal((await minutes()).length, 5)
    t.equal((await loop.tick()).minutesPruned, 5, 'the rest of those older than 2 hours')
    t.same(await minutes(), [])
    t.equal((await store.gpuHistory.buckets({ nodeId: 1, fromMs: 0, toMs: T0 + 3 * HOUR, span: 5 })).length, 4, '5-minute buckets stay')
    t.equal((await store.gpuHistory.buckets({ nodeId: 1, fromMs: 0, toMs: T0 + 3 * HOUR, span: 60 })).length, 2, 'hours stay')
    t.throws(() => createGpuHistoryLoop({ store, now: () => clock, minutesKeptMs: HOUR }), /minutesKeptMs/, 'fewer minutes kept than the lookback needs')
  })

  t.test('a first pass whose lookback starts mid-bucket still builds that 5-minute bucket whole', async t => {
    const store = await fresh(t)
    const a = rows(1, T0, T0 + 30 * MIN, 1)
    await insert(store, 1, a)
    // Lookback from 13.5 min: the bucket at 10 min is the first one built, from its minutes.
    const loop = createGpuHistoryLoop({ store, now: () => T0 + 73 * MIN + 30_000 })
    t.match(await loop.tick(), { from: T0 + 10 * MIN })
    same(t, (await store.gpuHistory.buckets({ nodeId: 1, gpuId: 0, fromMs: T0, toMs: T0 + HOUR, span: 5 }))[0],
      expected(inBucket(a, 0, T0 + 10 * MIN, T0 + 15 * MIN)), 'all five minutes of it')
  })

  t.test('a newest reading that arrived after the last pass shows at once, and once', async t => {
    const store = await fresh(t)
    const a = rows(1, T0, T0 + 30 * MIN, 1)
    await insert(store, 1, a)
    let clock = T0 + 30 * MIN
    const loop = createGpuHistoryLoop({ store, now: () => clock })
    await loop.tick()
    // Recorded before the pass, stored after it: no minute holds it yet.
    const straggler = sample(1, T0 + 29 * MIN + 30_000, 400, { utilizationPct: 42, tempC: 50, memoryUsedMb: 7, memoryTotalMb: 81_920 })
    await insert(store, 1, [straggler])
    clock += 10_000
    const check = async (what: string) => {
      const hour = (await queryGpuHistory(store.gpuHistory, { nodeId: 1, range: '1h', now: clock })).byGpu
      same(t, hour.get(1)?.find(b => b.bucketAt === T0 + 29 * MIN), expected([straggler]), `${what}: the straggler, once`)
      same(t, hour.get(0)?.find(b => b.bucketAt === T0 + 29 * MIN), expected(inBucket(a, 0, T0 + 29 * MIN, T0 + 30 * MIN)), `${what}: a newest reading its minute holds is not added again`)
    }
    await check('before the next pass')
    clock = T0 + 31 * MIN
    await loop.tick()
    await check('after it')
  })
}
