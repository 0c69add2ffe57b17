import type { GpuSample, SampleBatch, SampleBatchResult, StoredGpuSample } from '../telemetry-repository.ts'
import { rollupSpans } from '../telemetry-repository.ts'
import { addSampleToDelta, emptyDelta, mergeDelta, type SampleDelta } from '../sample-delta.ts'
import { createRollupAccumulator, type RollupRow } from '../create-rollup-accumulator.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_KIND_NAMES, SCOPE_NODE } from '../sqlite/sqlite-telemetry-migrations.ts'
import type { PgDb, PgQuery } from './pg-db.ts'
import type { DayPartitions } from './pg-day-partitions.ts'

// Arrays bound once per column and unnested: one statement per group commit however many
// batches and rows (a statement per batch costs a round trip each, which is what bounds a
// busy PostgreSQL ingest, not the rows).
const LOCK_NODES = "SELECT pg_advisory_xact_lock(hashtext('gpufleet:telemetry-node'), (n % 2147483648)::int) FROM unnest(?::bigint[]) AS n"
const RAW = `INSERT INTO gpu_stats (node_id, cluster_id, gpu_id, recorded_at, power_draw_w, temp_c, memory_used_mb,
    memory_total_mb, utilization_pct, power_draw_avg_w, power_limit_w, memory_temp_c, memory_reserved_mb,
    memory_utilization_pct, sm_clock_mhz, mem_clock_mhz, ecc_errors_corrected, ecc_errors_uncorrected)
  SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::int[], ?::bigint[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[],
    ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::bigint[], ?::bigint[])
  ON CONFLICT DO NOTHING RETURNING id, node_id, gpu_id, recorded_at`
// "Only when newer" is the WHERE, so a late replay changes nothing.
const LATEST = `INSERT INTO gpu_stats_latest (node_id, gpu_id, recorded_at)
  SELECT * FROM unnest(?::bigint[], ?::int[], ?::bigint[])
  ON CONFLICT (node_id, gpu_id) DO UPDATE SET recorded_at = excluded.recorded_at
  WHERE gpu_stats_latest.recorded_at < excluded.recorded_at`
const IDENTITY = `INSERT INTO gpu_identity (node_id, gpu_id, identity_at, cluster_id, hostname, name, uuid, pci_bus_id)
  SELECT * FROM unnest(?::bigint[], ?::int[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[])
  ON CONFLICT (node_id, gpu_id) DO UPDATE SET identity_at = excluded.identity_at, cluster_id = excluded.cluster_id,
    hostname = excluded.hostname, name = excluded.name, uuid = excluded.uuid, pci_bus_id = excluded.pci_bus_id
  WHERE excluded.identity_at >= gpu_identity.identity_at`
const NODE_SECONDS = `SELECT k.node_id, k.sec, SUM(s.power_draw_w) AS s
  FROM unnest(?::bigint[], ?::bigint[]) AS k (node_id, sec)
  JOIN gpu_stats s ON s.node_id = k.node_id AND s.recorded_at >= k.sec AND s.recorded_at < k.sec + 1000
  GROUP BY k.node_id, k.sec`
const SECONDS = `INSERT INTO gpu_power_second (scope_kind, scope_id, second_at, power_sum_w)
  SELECT * FROM unnest(?::smallint[], ?::bigint[], ?::bigint[], ?::float8[])
  ON CONFLICT (scope_kind, scope_id, second_at) DO UPDATE SET power_sum_w = gpu_power_second.power_sum_w + excluded.power_sum_w
  RETURNING scope_kind, scope_id, second_at, power_sum_w`
const MAX_OR_EITHER = (c: string) => `${c} = COALESCE(GREATEST(gpu_rollup.${c}, excluded.${c}), gpu_rollup.${c}, excluded.${c})`
const ADD = (c: string) => `${c} = gpu_rollup.${c} + excluded.${c}`
const ROLLUPS = `INSERT INTO gpu_rollup (scope_kind, scope_id, span_min, bucket_at, power_max_w, power_sum_w, power_n,
    util_sum, util_n, util_max, temp_sum, temp_n, samples)
  SELECT * FROM unnest(?::smallint[], ?::bigint[], ?::int[], ?::bigint[], ?::float8[], ?::float8[], ?::bigint[],
    ?::float8[], ?::bigint[], ?::float8[], ?::float8[], ?::bigint[], ?::bigint[])
  ON CONFLICT (scope_kind, scope_id, span_min, bucket_at) DO UPDATE SET
    ${MAX_OR_EITHER('power_max_w')}, ${ADD('power_sum_w')}, ${ADD('power_n')}, ${ADD('util_sum')},
    ${ADD('util_n')}, ${MAX_OR_EITHER('util_max')}, ${ADD('temp_sum')}, ${ADD('temp_n')}, ${ADD('samples')}`
// SQLSTATE 23514 with this text: the row's day partition is gone (another replica's retention).
const NO_PARTITION = /no partition of relation/

const withId = (s: GpuSample, id: number): StoredGpuSample => Object.assign(s, { id })
const column = <T>(rows: readonly T[], f: (r: T) => unknown) => rows.map(f)

interface WideSecond { kind: number, id: number, secondAt: number, delta: SampleDelta }

/**
 * The group-commit write on PostgreSQL, the same algorithm as sqlite-insert-samples.ts: every
 * batch in one transaction; INSERT … ON CONFLICT DO NOTHING RETURNING names the new rows; the
 * latest table advances only forward; new rows fold into the node, cluster and fleet rollups.
 * Each step is one statement for the whole group (unnest arrays). Concurrency (several replicas,
 * parallel requests): a per-node advisory lock makes a node's per-second sum read-after-insert exact; cluster and fleet sums are row-locked upserts; rows
 * are written in key order so two commits never deadlock.
 */
export function createPgInsertSamples (db: PgDb, partitions: DayPartitions) {
  const identityWritten = new Map<string, string>()

  /** Inserts every batch's new rows in one statement; returns each batch's stored rows. */
  async function storeAll (q: PgQuery, batches: readonly SampleBatch[]): Promise<StoredGpuSample[][]> {
    // Within a batch and across the commit's batches, a key is sent once: the first batch to
    // carry it is the one that stores it (as when the batches are inserted one after another).
    const rows: Array<{ batch: number, nodeId: number, clusterId: number | null, s: GpuSample }> = []
    const seen = new Set<string>()
    batches.forEach((batch, i) => {
      for (const s of batch.samples) {
        const key = `${batch.nodeId}:${s.gpuId}:${s.recordedAt}`
        if (seen.has(key)) continue
        seen.add(key)
        rows.push({ batch: i, nodeId: batch.nodeId, clusterId: batch.clusterId, s })
      }
    })
    const stored: StoredGpuSample[][] = batches.map(() => [])
    if (rows.length === 0) return stored
    const got = await q.all<{ id: number, node_id: number, gpu_id: number, recorded_at: number }>(RAW,
      column(rows, r => r.nodeId), column(rows, r => r.clusterId), column(rows, r => r.s.gpuId), column(rows, r => r.s.recordedAt),
      column(rows, r => r.s.powerDrawW), column(rows, r => r.s.tempC), column(rows, r => r.s.memoryUsedMb), column(rows, r => r.s.memoryTotalMb),
      column(rows, r => r.s.utilizationPct), column(rows, r => r.s.powerDrawAvgW), column(rows, r => r.s.powerLimitW),
      column(rows, r => r.s.memoryTempC), column(rows, r => r.s.memoryReservedMb), column(rows, r => r.s.memoryUtilizationPct),
      column(rows, r => r.s.smClockMhz), column(rows, r => r.s.memClockMhz), column(rows, r => r.s.eccErrorsCorrected),
      column(rows, r => r.s.eccErrorsUncorrected))
    const ids = new Map(got.map(r => [`${r.node_id}:${r.gpu_id}:${r.recorded_at}`, r.id]))
    for (const r of rows) {
      const id = ids.get(`${r.nodeId}:${r.s.gpuId}:${r.s.recordedAt}`)
      if (id !== undefined) stored[r.batch]!.push(withId(r.s, id))
    }
    return stored
  }

  /** Latest and identity rows for the commit's newest samples: one statement each. */
  async function writeLatest (q: PgQuery, newest: Array<{ batch: SampleBatch, s: StoredGpuSample }>, identities: Map<string, string>) {
    // One row per GPU (a statement may not update a row twice): the newest; a tie goes to the later batch.
    const byGpu = new Map<string, { batch: SampleBatch, s: StoredGpuSample }>()
    for (const n of newest) {
      const key = `${n.batch.nodeId}:${n.s.gpuId}`
      const prev = byGpu.get(key)
      if (prev === undefined || n.s.recordedAt >= prev.s.recordedAt) byGpu.set(key, n)
    }
    const latest = [...byGpu.values()].sort((a, b) => a.batch.nodeId - b.batch.nodeId || a.s.gpuId - b.s.gpuId)
    if (latest.length === 0) return
    await q.run(LATEST, column(latest, n => n.batch.nodeId), column(latest, n => n.s.gpuId), column(latest, n => n.s.recordedAt))
    const changed = latest.filter(({ batch, s }) => {
      const key = `${batch.nodeId}:${s.gpuId}`
      const identity = `${batch.clusterId}\u0000${batch.hostname}\u0000${s.name}\u0000${s.uuid}\u0000${s.pciBusId}`
      if (identityWritten.get(key) === identity) return false
      identities.set(key, identity)
      return true
    })
    if (changed.length === 0) return
    await q.run(IDENTITY, column(changed, n => n.batch.nodeId), column(changed, n => n.s.gpuId), column(changed, n => n.s.recordedAt),
      column(changed, n => n.batch.clusterId), column(changed, n => n.batch.hostname), column(changed, n => n.s.name),
      column(changed, n => n.s.uuid), column(changed, n => n.s.pciBusId))
  }

  async function writeRollups (q: PgQuery, rows: RollupRow[]) {
    if (rows.length === 0) return
    rows.sort((a, b) => a.scopeKind - b.scopeKind || a.scopeId - b.scopeId || a.spanMin - b.spanMin || a.bucketAt - b.bucketAt)
    await q.run(ROLLUPS, column(rows, r => r.scopeKind), column(rows, r => r.scopeId), column(rows, r => r.spanMin),
      column(rows, r => r.bucketAt), column(rows, r => r.powerMaxW), column(rows, r => r.powerSumW ?? 0), column(rows, r => r.powerN),
      column(rows, r => r.utilSum), column(rows, r => r.utilN), column(rows, r => r.utilMax), column(rows, r => r.tempSum),
      column(rows, r => r.tempN), column(rows, r => r.samples))
  }

  async function commit (batches: readonly SampleBatch[], identities: Map<string, string>): Promise<SampleBatchResult[]> {
    return db.tx(null, async q => {
      const nodes = [...new Set(batches.map(b => b.nodeId))].sort((a, b) => a - b)
      await q.run(LOCK_NODES, nodes)
      const stored = await storeAll(q, batches)

      const rollups = createRollupAccumulator(kind => rollupSpans(SCOPE_KIND_NAMES[kind]!))
      const wide = new Map<string, WideSecond>()
      const addWide = (kind: number, id: number, secondAt: number, delta: SampleDelta) => {
        const key = `${kind}:${id}:${secondAt}`
        let w = wide.get(key)
        if (w === undefined) wide.set(key, w = { kind, id, secondAt, delta: emptyDelta() })
        mergeDelta(w.delta, delta)
      }

      const perBatch: SampleBatchResult[] = []
      const newestAll: Array<{ batch: SampleBatch, s: StoredGpuSample }> = []
      const secondsOf: Array<Map<number, SampleDelta>> = []
      const poweredKeys = new Map<string, { nodeId: number, sec: number }>()
      batches.forEach((batch, i) => {
        const newestByGpu = new Map<number, StoredGpuSample>()
        const seconds = new Map<number, SampleDelta>()
        for (const s of stored[i]!) {
          const prev = newestByGpu.get(s.gpuId)
          if (prev === undefined || s.recordedAt > prev.recordedAt) newestByGpu.set(s.gpuId, s)
          const secondAt = Math.floor(s.recordedAt / 1000) * 1000
          let d = seconds.get(secondAt)
          if (d === undefined) seconds.set(secondAt, d = emptyDelta())
          addSampleToDelta(d, s)
        }
        const newest = [...newestByGpu.values()].sort((a, b) => a.gpuId - b.gpuId)
        for (const s of newest) newestAll.push({ batch, s })
        for (const [sec, d] of seconds) if (d.powerSumW !== null) poweredKeys.set(`${batch.nodeId}:${sec}`, { nodeId: batch.nodeId, sec })
        secondsOf.push(seconds)
        perBatch.push({ inserted: stored[i]!.length, duplicates: batch.samples.length - stored[i]!.length, newest })
      })
      await writeLatest(q, newestAll, identities)

      // Each node's whole second after this commit's rows. A batch earlier in the commit sees the
      // later batches' rows of that second too: the sum only grows, so the bucket's MAX is the same.
      const sums = new Map<string, number | null>()
      if (poweredKeys.size > 0) {
        const keys = [...poweredKeys.values()]
        for (const r of await q.all<{ node_id: number, sec: number, s: number | null }>(NODE_SECONDS, column(keys, k => k.nodeId), column(keys, k => k.sec))) {
          sums.set(`${r.node_id}:${r.sec}`, r.s)
        }
      }
      batches.forEach((batch, i) => {
        for (const [secondAt, delta] of secondsOf[i]!) {
          rollups.add(SCOPE_NODE, batch.nodeId, secondAt, delta.powerSumW === null ? null : (sums.get(`${batch.nodeId}:${secondAt}`) ?? null), delta)
          addWide(SCOPE_FLEET, 0, secondAt, delta)
          if (batch.clusterId !== null) addWide(SCOPE_CLUSTER, batch.clusterId, secondAt, delta)
        }
      })

      const all = [...wide.values()].sort((a, b) => a.kind - b.kind || a.id - b.id || a.secondAt - b.secondAt)
      const powered = all.filter(w => w.delta.powerSumW !== null)
      const wideSums = new Map<string, number>()
      if (powered.length > 0) {
        const rows = await q.all<{ scope_kind: number, scope_id: number, second_at: number, power_sum_w: number }>(SECONDS,
          column(powered, w => w.kind), column(powered, w => w.id), column(powered, w => w.secondAt), column(powered, w => w.delta.powerSumW))
        for (const r of rows) wideSums.set(`${r.scope_kind}:${r.scope_id}:${r.second_at}`, r.power_sum_w)
      }
      for (const w of all) {
        const sum = w.delta.powerSumW === null ? null : (wideSums.get(`${w.kind}:${w.id}:${w.secondAt}`) ?? null)
        rollups.add(w.kind, w.id, w.secondAt, sum, w.delta)
      }
      await writeRollups(q, rollups.rows())
      return perBatch
    })
  }

  return async function insertSamples (batches: readonly SampleBatch[]): Promise<SampleBatchResult[]> {
    const times = batches.flatMap(b => b.samples.map(s => s.recordedAt)).filter(t => typeof t === 'number' && Number.isFinite(t))
    await partitions.ensure(times)
    const identities = new Map<string, string>()
    let results: SampleBatchResult[]
    try {
      results = await commit(batches, identities)
    } catch (err) {
      if (!NO_PARTITION.test((err as Error).message)) throw err
      // A day this process thought existed was dropped by another replica: recreate, retry once.
      partitions.forget()
      await partitions.ensure(times)
      identities.clear()
      results = await commit(batches, identities)
    }
    for (const [key, identity] of identities) identityWritten.set(key, identity)
    return results
  }
}
