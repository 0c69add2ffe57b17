import t from 'tap'
import { queryGpuHistory, type GpuHistoryWindow } from '../../../../control-plane/fleet/query-gpu-history.ts'
import { gpuHistoryPoint } from '../../../../control-plane/fleet/render-gpu-history.ts'
import { createGpuHistoryLoop } from '../../../../control-plane/loops/create-gpu-history-loop.ts'
import { openSqliteStore } from '../../../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { GpuSample, SampleBatch } from '../../../../control-plane/store/telemetry-repository.ts'
import { createVmClient } from '../../../../control-plane/store/vm/create-vm-client.ts'
import { createVmGpuHistoryRepository } from '../../../../control-plane/store/vm/vm-gpu-history-repository.ts'
import { createVmTelemetryRepository } from '../../../../control-plane/store/vm/vm-telemetry-repository.ts'
import type { GpuHistoryRange } from '../../../../shared/wire/gpu-history-schemas.ts'
import { noGpuReadings } from '../../../helpers/no-gpu-readings.ts'
import { startVictoriaMetrics, victoriaMetricsBinary, VM_MISSING } from '../../../setup/victoria-metrics.ts'

const MIN = 60_000
const HOUR = 60 * MIN
// Three hours of samples ending 30 s before NOW (a :30 second), the newest of each GPU in the current minute.
const NOW = Date.UTC(2026, 3, 14, 11, 7, 30)
const START = NOW - 3 * HOUR + 13_000

/** A small deterministic PRNG (mulberry32): the same data on every run. */
function rng (seed: number) {
  return () => {
    seed |= 0; seed = seed + 0x6D2B79F5 | 0
    let x = Math.imul(seed ^ seed >>> 15, 1 | seed)
    x = x + Math.imul(x ^ x >>> 7, 61 | x) ^ x
    return ((x ^ x >>> 14) >>> 0) / 4294967296
  }
}

function sample (gpuId: number, recordedAt: number, r: () => number): GpuSample {
  const maybe = (v: number) => r() < 0.04 ? null : v
  return {
    ...noGpuReadings(),
    gpuId,
    recordedAt,
    name: 'NVIDIA H100',
    uuid: `GPU-${gpuId}-uuid`,
    pciBusId: `00000000:0${gpuId}:00.0`,
    powerDrawW: maybe(Math.round((80 + r() * 620) * 10) / 10),
    tempC: maybe(Math.round(35 + r() * 50)),
    memoryUsedMb: maybe(Math.round(r() * 80_000)),
    memoryTotalMb: 81_559,
    utilizationPct: maybe(Math.round(r() * 100)),
    eccErrorsUncorrected: 0,
    pstate: 0,
  }
}

/** Node 1: 3 GPUs every ~9 s with jitter (GPU 2 from the second hour on); node 2: 1 GPU every ~20 s; late rows pushed last. */
function workload (): SampleBatch[] {
  const r = rng(17)
  const batches: SampleBatch[] = []
  const late: SampleBatch[] = []
  const push = (nodeId: number, every: number, gpus: (at: number) => number[]) => {
    for (let at = START; at < NOW - 30_000; at += every * 1000 + Math.floor(r() * 900)) {
      const b: SampleBatch = { nodeId, clusterId: 1, hostname: `n${nodeId}`, cluster: 'c', region: 'eu', samples: gpus(at).map(g => sample(g, at, r)) }
      if (r() < 0.02) late.push(b)
      else batches.push(b)
    }
    // Each GPU's newest reading in the current minute (read through gpu_stats_latest by the SQL store).
    batches.push({ nodeId, clusterId: 1, hostname: `n${nodeId}`, samples: gpus(NOW - 5_000).map(g => sample(g, NOW - 5_000, r)) })
  }
  push(1, 9, at => at < START + HOUR ? [0, 1] : [0, 1, 2])
  push(2, 20, () => [0])
  return [...batches, ...late]
}

type Point = ReturnType<typeof gpuHistoryPoint>

const rendered = (w: GpuHistoryWindow): Record<string, Point[]> =>
  Object.fromEntries([...w.byGpu].map(([gpu, buckets]) => [String(gpu), buckets.map(gpuHistoryPoint)]))

t.test('per-GPU history from VictoriaMetrics equals the SQLite store\'s built by its loop', { skip: victoriaMetricsBinary() === null ? VM_MISSING : false }, async t => {
  const vm = await startVictoriaMetrics()
  t.teardown(() => vm.close())
  const sql = await openSqliteStore(':memory:')
  t.teardown(() => sql.close())
  const client = createVmClient({ insertUrl: vm.url, selectUrl: vm.url })
  const telemetry = createVmTelemetryRepository({ client, now: () => NOW })
  const history = createVmGpuHistoryRepository({ client, now: () => NOW })

  const batches = workload()
  const copy = (from: number, to: number) => batches.slice(from, to).map(b => ({ ...b, samples: b.samples.map(s => ({ ...s })) }))
  for (let i = 0; i < batches.length; i += 32) {
    await sql.telemetry.insertSamples(copy(i, i + 32))
    await telemetry.insertSamples(copy(i, i + 32))
  }
  await vm.flush()

  // The SQL store's loop, run every minute from the first sample to NOW (its lookback is an hour).
  let clock = START
  const loop = createGpuHistoryLoop({ store: sql, now: () => clock })
  for (; clock < NOW; clock += MIN) await loop.tick()
  clock = NOW
  await loop.tick()

  const close = (a: unknown, b: unknown) => typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) < 0.01 : a === b
  const ranges: GpuHistoryRange[] = ['1h', '24h', '7d']
  for (const range of ranges) {
    for (const q of [{ nodeId: 1 }, { nodeId: 1, gpuId: 2 }, { nodeId: 2 }]) {
      const label = `${range} ${JSON.stringify(q)}`
      const [fromSql, fromVm] = await Promise.all([
        queryGpuHistory(sql.gpuHistory, { ...q, range, now: NOW }),
        queryGpuHistory(history, { ...q, range, now: NOW }),
      ])
      t.equal(fromVm.fromMs, fromSql.fromMs, `${label}: from`)
      t.equal(fromVm.stepMs, fromSql.stepMs, `${label}: step`)
      const a = rendered(fromVm)
      const b = rendered(fromSql)
      t.same(Object.keys(a), Object.keys(b), `${label}: the same GPUs`)
      for (const gpu of Object.keys(b)) {
        const pa = a[gpu] ?? []
        const pb = b[gpu]!
        t.ok(pb.length >= ({ '1h': 50, '24h': 20, '7d': 3 } as Record<string, number>)[range]!, `${label} GPU ${gpu}: points (${pb.length})`)
        t.same(pa.map(p => p.at), pb.map(p => p.at), `${label} GPU ${gpu}: the same steps`)
        const off = pa.flatMap((p, i) => Object.entries(p).filter(([k, v]) => !close(v, pb[i]![k as keyof Point])).map(([k, v]) => `${p.at} ${k}: ${v} vs ${pb[i]![k as keyof Point]}`))
        t.same(off.slice(0, 5), [], `${label} GPU ${gpu}: every point within 0.01`)
      }
    }
  }

  t.same(await history.gpuIds(1), await sql.gpuHistory.gpuIds(1), 'gpuIds of node 1')
  t.same(await history.gpuIds(2), [0], 'gpuIds of node 2')
  t.same(await history.gpuIds(9), [], 'gpuIds of a node without samples')

  t.test('the loop over the VictoriaMetrics repository reads and writes nothing, and does not fail', async t => {
    let at = NOW
    const vmLoop = createGpuHistoryLoop({ store: { gpuHistory: history }, now: () => at })
    for (let i = 0; i < 3; i++, at += MIN) {
      const pass = await vmLoop.tick()
      t.match(pass, { written: 0, minutes: 0, dirtyRebuilt: 0, pruned: 0, minutesPruned: 0 })
    }
    await history.markDirty([{ nodeId: 1, bucketAt: START }])
    t.equal(await history.watermark(), null)
    t.equal(await history.minuteMarks(), null)
  })
})
