import type { GpuSample, SampleBatch, SampleBatchResult, StoredGpuSample } from '../telemetry-repository.ts'
import { rollupSpans } from '../telemetry-repository.ts'
import { addSampleToDelta, emptyDelta, mergeDelta, type SampleDelta } from '../sample-delta.ts'
import { createRollupAccumulator, type RollupRow } from '../create-rollup-accumulator.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_KIND_NAMES, SCOPE_NODE } from '../sqlite/sqlite-telemetry-migrations.ts'
import type { PgDb, PgQuery } from './pg-db.ts'
import type { DayPartitions } from './pg-day-partitions.ts'

// Arrays bound once per column and unnested: one statement per batch however many rows.
const RAW = `INSERT INTO gpu_stats (node_id, cluster_id, gpu_id, recorded_at, power_draw_w, temp_c, memory_used_mb,
    memory_total_mb, utilization_pct, power_draw_avg_w, power_limit_w, memory_temp_c, memory_reserved_mb,
    memory_utilization_pct, sm_clock_mhz, mem_clock_mhz, ecc_errors_corrected, ecc_errors_uncorrected)
  SELECT ?::bigint, ?::bigint, * FROM unnest(?::int[], ?::bigint[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[],
    ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::bigint[], ?::bigint[])
  ON CONFLICT DO NOTHING RETURNING id, gpu_id, recorded_at`
// "Only when newer" is the WHERE, so a late replay changes nothing.
const LATEST = `INSERT INTO gpu_stats_latest (node_id, gpu_id, recorded_at)
  SELECT ?::bigint, * FROM unnest(?::int[], ?::bigint[])
  ON CONFLICT (node_id, gpu_id) DO UPDATE SET recorded_at = excluded.recorded_at
  WHERE gpu_stats_latest.recorded_at < excluded.recorded_at`
const IDENTITY = `INSERT INTO gpu_identity (node_id, gpu_id, identity_at, cluster_id, hostname, name, uuid, pci_bus_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (node_id, gpu_id) DO UPDATE SET identity_at = excluded.identity_at, cluster_id = excluded.cluster_id,
    hostname = excluded.hostname, name = excluded.name, uuid = excluded.uuid, pci_bus_id = excluded.pci_bus_id
  WHERE excluded.identity_at >= gpu_identity.identity_at`
const NODE_SECONDS = `SELECT (recorded_at / 1000) * 1000 AS sec, SUM(power_draw_w) AS s FROM gpu_stats
  WHERE node_id = ? AND recorded_at >= ? AND recorded_at < ? AND (recorded_at / 1000) * 1000 = ANY(?::bigint[]) GROUP BY 1`
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
 * Concurrency (several replicas, parallel requests): a per-node advisory lock makes a node's
 * per-second sum read-after-insert exact; cluster and fleet sums are row-locked upserts; rows
 * are written in key order so two commits never deadlock.
 */
export function createPgInsertSamples (db: PgDb, partitions: DayPartitions) {
  const identityWritten = new Map<string, string>()

  async function storeBatch (q: PgQuery, batch: SampleBatch, rows: GpuSample[]): Promise<StoredGpuSample[]> {
    if (rows.length === 0) return []
    const got = await q.all<{ id: number, gpu_id: number, recorded_at: number }>(RAW, batch.nodeId, batch.clusterId,
      column(rows, s => s.gpuId), column(rows, s => s.recordedAt), column(rows, s => s.powerDrawW), column(rows, s => s.tempC),
      column(rows, s => s.memoryUsedMb), column(rows, s => s.memoryTotalMb), column(rows, s => s.utilizationPct),
      column(rows, s => s.powerDrawAvgW), column(rows, s => s.powerLimitW), column(rows, s => s.memoryTempC),
      column(rows, s => s.memoryReservedMb), column(rows, s => s.memoryUtilizationPct), column(rows, s => s.smClockMhz),
      column(rows, s => s.memClockMhz), column(rows, s => s.eccErrorsCorrected), column(rows, s => s.eccErrorsUncorrected))
    const ids = new Map(got.map(r => [`${r.gpu_id}:${r.recorded_at}`, r.id]))
    const stored: StoredGpuSample[] = []
    for (const s of rows) {
      const id = ids.get(`${s.gpuId}:${s.recordedAt}`)
      if (id !== undefined) stored.push(withId(s, id))
    }
    return stored
  }

  async function writeLatest (q: PgQuery, batch: SampleBatch, newest: StoredGpuSample[], identities: Map<string, string>) {
    if (newest.length === 0) return
    await q.run(LATEST, batch.nodeId, column(newest, s => s.gpuId), column(newest, s => s.recordedAt))
    for (const s of newest) {
      const key = `${batch.nodeId}:${s.gpuId}`
      const identity = `${batch.clusterId}\u0000${batch.hostname}\u0000${s.name}\u0000${s.uuid}\u0000${s.pciBusId}`
      if (identityWritten.get(key) === identity || identities.get(key) === identity) continue
      await q.run(IDENTITY, batch.nodeId, s.gpuId, s.recordedAt, batch.clusterId, batch.hostname, s.name, s.uuid, s.pciBusId)
      identities.set(key, identity)
    }
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
      for (const nodeId of nodes) await q.run("SELECT pg_advisory_xact_lock(hashtext('gpufleet:telemetry-node'), ?::int)", nodeId | 0)
      const rollups = createRollupAccumulator(kind => rollupSpans(SCOPE_KIND_NAMES[kind]!))
      const wide = new Map<string, WideSecond>()
      const addWide = (kind: number, id: number, secondAt: number, delta: SampleDelta) => {
        const key = `${kind}:${id}:${secondAt}`
        let w = wide.get(key)
        if (w === undefined) wide.set(key, w = { kind, id, secondAt, delta: emptyDelta() })
        mergeDelta(w.delta, delta)
      }

      const perBatch: SampleBatchResult[] = []
      for (const batch of batches) {
        const seen = new Set<string>()
        const unique: GpuSample[] = []
        for (const s of batch.samples) {
          const key = `${s.gpuId}:${s.recordedAt}`
          if (seen.has(key)) continue
          seen.add(key)
          unique.push(s)
        }
        const stored = await storeBatch(q, batch, unique)

        const newestByGpu = new Map<number, StoredGpuSample>()
        const seconds = new Map<number, SampleDelta>()
        for (const s of stored) {
          const prev = newestByGpu.get(s.gpuId)
          if (prev === undefined || s.recordedAt > prev.recordedAt) newestByGpu.set(s.gpuId, s)
          const secondAt = Math.floor(s.recordedAt / 1000) * 1000
          let d = seconds.get(secondAt)
          if (d === undefined) seconds.set(secondAt, d = emptyDelta())
          addSampleToDelta(d, s)
        }
        const newest = [...newestByGpu.values()].sort((a, b) => a.gpuId - b.gpuId)
        await writeLatest(q, batch, newest, identities)

        // The node's whole second after this insert (earlier rows of that second included).
        const powered = [...seconds].filter(([, d]) => d.powerSumW !== null).map(([at]) => at)
        const sums = new Map<number, number | null>()
        if (powered.length > 0) {
          const lo = Math.min(...powered)
          const hi = Math.max(...powered) + 1000
          for (const r of await q.all<{ sec: number, s: number | null }>(NODE_SECONDS, batch.nodeId, lo, hi, powered)) sums.set(r.sec, r.s)
        }
        for (const [secondAt, delta] of seconds) {
          rollups.add(SCOPE_NODE, batch.nodeId, secondAt, delta.powerSumW === null ? null : (sums.get(secondAt) ?? null), delta)
          addWide(SCOPE_FLEET, 0, secondAt, delta)
          if (batch.clusterId !== null) addWide(SCOPE_CLUSTER, batch.clusterId, secondAt, delta)
        }
        perBatch.push({ inserted: stored.length, duplicates: batch.samples.length - stored.length, newest })
      }

      const all = [...wide.values()].sort((a, b) => a.kind - b.kind || a.id - b.id || a.secondAt - b.secondAt)
      const powered = all.filter(w => w.delta.powerSumW !== null)
      const sums = new Map<string, number>()
      if (powered.length > 0) {
        const rows = await q.all<{ scope_kind: number, scope_id: number, second_at: number, power_sum_w: number }>(SECONDS,
          column(powered, w => w.kind), column(powered, w => w.id), column(powered, w => w.secondAt), column(powered, w => w.delta.powerSumW))
        for (const r of rows) sums.set(`${r.scope_kind}:${r.scope_id}:${r.second_at}`, r.power_sum_w)
      }
      for (const w of all) {
        const sum = w.delta.powerSumW === null ? null : (sums.get(`${w.kind}:${w.id}:${w.secondAt}`) ?? null)
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
