import t from 'tap'
import { openSqliteStore } from '../../../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { GpuSample, SampleBatch, TelemetryRepository, TelemetryScope } from '../../../../control-plane/store/telemetry-repository.ts'
import { createVmClient } from '../../../../control-plane/store/vm/create-vm-client.ts'
import { createVmTelemetryRepository } from '../../../../control-plane/store/vm/vm-telemetry-repository.ts'
import { queryPowerHistory } from '../../../../control-plane/telemetry/query-power-history.ts'
import { noGpuReadings } from '../../../helpers/no-gpu-readings.ts'
import { startVictoriaMetrics, victoriaMetricsBinary, VM_MISSING } from '../../../setup/victoria-metrics.ts'

// Around Europe/Berlin's spring-forward (2026-03-29 01:00 UTC) so zoned buckets cross an offset change.
const START = Date.UTC(2026, 2, 28, 22, 0, 0)
const HOURS = 5
const MIN = 60_000

/** A small deterministic PRNG (mulberry32): the same data on every run. */
function rng (seed: number) {
  return () => {
    seed |= 0; seed = seed + 0x6D2B79F5 | 0
    let x = Math.imul(seed ^ seed >>> 15, 1 | seed)
    x = x + Math.imul(x ^ x >>> 7, 61 | x) ^ x
    return ((x ^ x >>> 14) >>> 0) / 4294967296
  }
}

function sample (gpuId: number, recordedAt: number, powerDrawW: number | null, r: () => number): GpuSample {
  return {
    ...noGpuReadings(),
    gpuId,
    recordedAt,
    name: 'NVIDIA B200',
    uuid: `GPU-${gpuId}-uuid`,
    pciBusId: `00000000:0${gpuId}:00.0`,
    powerDrawW,
    tempC: Math.round(40 + r() * 40),
    memoryUsedMb: Math.round(r() * 180_000),
    memoryTotalMb: 183359,
    utilizationPct: r() < 0.05 ? null : Math.round(r() * 100),
    eccErrorsUncorrected: 0,
    pstate: 2,
  }
}

interface Node { nodeId: number, clusterId: number | null, hostname: string, gpus: number }
const NODES: Node[] = [
  { nodeId: 1, clusterId: 1, hostname: 'a1', gpus: 4 },
  { nodeId: 2, clusterId: 1, hostname: 'a2', gpus: 4 },
  { nodeId: 3, clusterId: 2, hostname: 'b1', gpus: 2 },
  { nodeId: 4, clusterId: null, hostname: 'loose', gpus: 1 },
]

/** Pushes in arrival order: ~every 11 s per node with jitter, sub-second double ticks, null power, a late batch, a newer tick with less power. */
function workload (): SampleBatch[] {
  const r = rng(18)
  const batches: SampleBatch[] = []
  const late: SampleBatch[] = []
  const tick = (n: Node, at: number, watts: (g: number) => number | null): SampleBatch => ({
    nodeId: n.nodeId, clusterId: n.clusterId, hostname: n.hostname, cluster: n.clusterId === null ? null : `c${n.clusterId}`, region: 'eu',
    samples: Array.from({ length: n.gpus }, (_, g) => sample(g, at, watts(g), r)),
  })
  for (let s = 0; s < HOURS * 3600; s += 11) {
    for (const n of NODES) {
      const at = START + s * 1000 + Math.floor(r() * 1000)
      const b = tick(n, at, () => r() < 0.03 ? null : Math.round(200 + r() * 800 * 10) / 10)
      if (r() < 0.02) late.push(b)
      else batches.push(b)
      // Now and then a second tick of the node in the same second, with less or more power.
      if (r() < 0.05) {
        const second = Math.floor(at / 1000) * 1000
        const at2 = at + 1 + Math.floor(r() * (second + 999 - at))
        if (at2 <= second + 999 && at2 > at) batches.push(tick(n, at2, () => Math.round(100 + r() * 1200)))
      }
    }
  }
  // Late rows arrive after everything else (an agent's spool replaying).
  return [...batches, ...late]
}

t.test('the VictoriaMetrics repository answers as the SQL store on the same samples', { skip: victoriaMetricsBinary() === null ? VM_MISSING : false }, async t => {
  const vm = await startVictoriaMetrics()
  t.teardown(() => vm.close())
  const sql = await openSqliteStore(':memory:')
  t.teardown(() => sql.close())
  const repo = createVmTelemetryRepository({ client: createVmClient({ insertUrl: vm.url, selectUrl: vm.url }), now: () => START + HOURS * 3_600_000 })
  const batches = workload()
  const copy = () => batches.map(b => ({ ...b, samples: b.samples.map(s => ({ ...s })) }))
  for (let i = 0; i < batches.length; i += 16) {
    const group = copy().slice(i, i + 16)
    await sql.telemetry.insertSamples(group)
    await repo.insertSamples(copy().slice(i, i + 16))
  }
  // A replay of a stretch (the agent resending what it already sent) changes nothing.
  await sql.telemetry.insertSamples(copy().slice(100, 140))
  await repo.insertSamples(copy().slice(100, 140))
  await vm.flush()

  const rows = batches.reduce((n, b) => n + b.samples.length, 0)
  t.equal(await sql.telemetry.countSamples(), rows, 'sql stored every row once')
  t.equal(await repo.countSamples(), rows, 'VictoriaMetrics holds every row once (replay deduplicated)')
  t.equal(await repo.countSamples({ nodeId: 3, fromMs: START, toMs: START + 3_600_000 }),
    await sql.telemetry.countSamples({ nodeId: 3, fromMs: START, toMs: START + 3_600_000 }), 'count for one node and hour')

  t.test('latest', async t => {
    const strip = (xs: Awaited<ReturnType<TelemetryRepository['latest']>>) => xs.map(({ id: _id, ...rest }) => rest)
    t.same(strip(await repo.latest()), strip(await sql.telemetry.latest()), 'every GPU')
    for (const filter of [{ nodeId: 2 }, { clusterId: 1 }, { hostname: 'b1' }, { clusterId: 9 }]) {
      t.same(strip(await repo.latest(filter)), strip(await sql.telemetry.latest(filter)), JSON.stringify(filter))
    }
  })

  t.test('one GPU\'s raw history', async t => {
    const from = START + 3_600_000
    const to = START + 2 * 3_600_000
    const expected = new Map<number, Record<string, unknown>>()
    for (const b of batches) {
      if (b.nodeId !== 2) continue
      for (const s of b.samples) {
        if (s.gpuId !== 3 || s.recordedAt < from || s.recordedAt >= to || expected.has(s.recordedAt)) continue
        const { gpuId: _g, name: _n, uuid: _u, pciBusId: _p, ...readings } = s
        expected.set(s.recordedAt, readings)
      }
    }
    const rows = await repo.gpuHistory(2, 3, from, to)
    t.ok(rows.length > 300, `an hour of rows (${rows.length})`)
    t.same(rows, [...expected.values()].sort((a, b) => (a.recordedAt as number) - (b.recordedAt as number)), 'every row and reading, nulls included')
    t.same(await repo.gpuHistory(2, 3, to, from), [], 'an empty range')
  })

  const scopes: TelemetryScope[] = [
    { kind: 'fleet' }, { kind: 'cluster', clusterId: 1 }, { kind: 'cluster', clusterId: 2 },
    { kind: 'node', nodeId: 1 }, { kind: 'node', nodeId: 4 },
  ]

  t.test('minute rollups', async t => {
    for (const scope of scopes) {
      const [a, b] = await Promise.all([repo.minuteRollups(scope, START, START + HOURS * 3_600_000), sql.telemetry.minuteRollups(scope, START, START + HOURS * 3_600_000)])
      t.equal(a.length, b.length, `${JSON.stringify(scope)}: same minutes`)
      const off = a.flatMap((x, i) => {
        const y = b[i]!
        const close = (p: number | null, q: number | null) => (p === null) === (q === null) && (p === null || Math.abs(p - q!) < 0.01)
        return x.minuteAt === y.minuteAt && x.samples === y.samples && close(x.powerMaxW, y.powerMaxW) && close(x.powerAvgW, y.powerAvgW) &&
          close(x.utilizationAvgPct, y.utilizationAvgPct) && close(x.utilizationMaxPct, y.utilizationMaxPct) && close(x.tempAvgC, y.tempAvgC)
          ? []
          : [{ vm: x, sql: y }]
      })
      t.same(off.slice(0, 3), [], `${JSON.stringify(scope)}: every column to 0.01`)
    }
  })

  t.test('power buckets: several sizes and fixed offsets', async t => {
    for (const scope of scopes) {
      for (const bucketMinutes of [1, 5, 7, 60, 1440]) {
        for (const offsetMinutes of [0, 60, 330, -345]) {
          const q = { scope, fromMs: START + 17 * MIN, toMs: START + HOURS * 3_600_000 - 3 * MIN, offsetMinutes, bucketMinutes }
          const [a, b] = await Promise.all([repo.powerBuckets(q), sql.telemetry.powerBuckets(q)])
          const label = `${JSON.stringify(scope)} ${bucketMinutes} min at ${offsetMinutes}`
          t.same(a.map(x => x.wallMs), b.map(x => x.wallMs), `${label}: same buckets`)
          t.same(a.filter((x, i) => Math.abs(x.powerDrawW - b[i]!.powerDrawW) >= 0.01), [], `${label}: to 0.01 W`)
        }
      }
    }
  })

  t.test('power history in time zones, across a DST change', async t => {
    for (const timeZone of ['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'America/St_Johns']) {
      for (const bucketMinutes of [5, 60, 1440]) {
        for (const scope of [scopes[0]!, scopes[1]!, scopes[3]!]) {
          const req = { scope, days: 1, bucketMinutes, timeZone, now: START + HOURS * 3_600_000 }
          const [a, b] = await Promise.all([queryPowerHistory(repo, req), queryPowerHistory(sql.telemetry, req)])
          const label = `${timeZone} ${bucketMinutes} min ${JSON.stringify(scope)}`
          t.same(a.map(p => p.recorded_at), b.map(p => p.recorded_at), `${label}: same buckets`)
          t.same(a.filter((p, i) => Math.abs(p.power_draw_w - b[i]!.power_draw_w) >= 0.01), [], `${label}: to 0.01 W`)
        }
      }
    }
  })
})
