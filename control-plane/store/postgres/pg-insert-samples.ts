import type { GpuSample, SampleBatch, SampleBatchResult, StoredGpuSample } from '../telemetry-repository.ts'
import { rollupSpans } from '../telemetry-repository.ts'
import { WIRE_GPU_FIELDS } from '../../../shared/gpu-fields.ts'
import { addSampleToDelta, emptyDelta, mergeDelta, type SampleDelta } from '../sample-delta.ts'
import { createRollupAccumulator, type RollupRow } from '../create-rollup-accumulator.ts'
import { addTickPower, secondPowerChange, type TickPower } from '../second-power-change.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_KIND_NAMES, SCOPE_NODE } from '../telemetry-scope-kinds.ts'
import type { PgDb, PgQuery } from './pg-db.ts'
import type { DayPartitions } from './pg-day-partitions.ts'
import { GPU_BLOCK_MS } from '../gpu-block-codec.ts'
import { SPAN_LOCK_KEY, thawPg } from './pg-gpu-blocks.ts'

// Arrays bound once per column and unnested: one statement per group commit however many
// batches and rows (a statement per batch costs a round trip each, which is what bounds a
// busy PostgreSQL ingest, not the rows).
// The spans its rows fall in, shared (compaction takes a span's exclusively to move its
// cluster and fleet seconds, pg-gpu-blocks.ts), then the nodes: still one statement.
const LOCK_NODES = `SELECT pg_advisory_xact_lock_shared(${SPAN_LOCK_KEY}, (s % 2147483648)::int)::text FROM unnest(?::bigint[]) AS s
  UNION ALL SELECT pg_advisory_xact_lock(hashtext('gpufleet:telemetry-node'), (n % 2147483648)::int)::text FROM unnest(?::bigint[]) AS n`
// The readings are shared/gpu-fields.ts's stored rows: the column is the wire name.
const READINGS = WIRE_GPU_FIELDS.map(f => f.sample)
const ARRAY_TYPE = { real: 'float8', integer: 'bigint' } as const
const RAW = `INSERT INTO gpu_stats (node_id, cluster_id, gpu_id, recorded_at, ${WIRE_GPU_FIELDS.map(f => f.wire).join(', ')})
  SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::int[], ?::bigint[], ${WIRE_GPU_FIELDS.map(f => `?::${ARRAY_TYPE[f.sqlType]}[]`).join(', ')})
  ON CONFLICT DO NOTHING RETURNING id, node_id, gpu_id, recorded_at`
// The same for the rows at or after the compaction watermark, which it returns (a last row
// with only \`watermark\`): read in this statement, after the locks, so never stale; rows
// before it wait for their blocks to thaw.
const RAW_SETTLED = `WITH w AS (SELECT GREATEST((SELECT MAX(block_at) FROM gpu_block), (SELECT MAX(block_at) FROM gpu_power_block)) + ${GPU_BLOCK_MS} AS m),
  ins AS (INSERT INTO gpu_stats (node_id, cluster_id, gpu_id, recorded_at, ${WIRE_GPU_FIELDS.map(f => f.wire).join(', ')})
    SELECT u.* FROM unnest(?::bigint[], ?::bigint[], ?::int[], ?::bigint[], ${WIRE_GPU_FIELDS.map(f => `?::${ARRAY_TYPE[f.sqlType]}[]`).join(', ')})
      AS u (${['n', 'c', 'g', 'at', ...WIRE_GPU_FIELDS.map((_, i) => `r${i}`)].join(', ')})
    WHERE u.at >= COALESCE((SELECT m FROM w), u.at)
    ON CONFLICT DO NOTHING RETURNING id, node_id, gpu_id, recorded_at)
  SELECT id, node_id, gpu_id, recorded_at, NULL::bigint AS watermark FROM ins
  UNION ALL SELECT NULL, NULL, NULL, NULL, m FROM w`
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
// Per node, one index range scan over the seconds it needs (LATERAL keeps the planner from
// joining the key list against the whole table), one row per tick; the caller keeps the
// seconds it asked for.
const NODE_TICKS = `SELECT r.node_id, x.at, x.sum_w, x.n
  FROM (SELECT k.node_id, MIN(k.sec) AS lo, MAX(k.sec) + 1000 AS hi
        FROM unnest(?::bigint[], ?::bigint[]) AS k (node_id, sec) GROUP BY k.node_id) AS r
  CROSS JOIN LATERAL (SELECT s.recorded_at AS at, COALESCE(SUM(s.power_draw_w), 0) AS sum_w, COUNT(s.power_draw_w) AS n
    FROM gpu_stats s WHERE s.node_id = r.node_id AND s.recorded_at >= r.lo AND s.recorded_at < r.hi GROUP BY 1) AS x`
// A wide scope's second moves by the change of each node's share (its latest tick in it).
const SECONDS = `INSERT INTO gpu_power_second (scope_kind, scope_id, second_at, power_sum_w)
  SELECT * FROM unnest(?::smallint[], ?::bigint[], ?::bigint[], ?::float8[])
  ON CONFLICT (scope_kind, scope_id, second_at) DO UPDATE SET power_sum_w = gpu_power_second.power_sum_w + excluded.power_sum_w
  RETURNING scope_kind, scope_id, second_at, power_sum_w`
// A second that went down may have been its buckets' MAX: each span's bucket again from the
// level below (seconds, then the finer span's rollups), only where the stored MAX was that value.
// The commit already holds these rollup rows (it upserted them), and in READ COMMITTED this
// statement sees every other commit's seconds; one still in flight merges its MAX after this one.
const REMAX = (spanMin: number, finer: number | null) => `UPDATE gpu_rollup AS r SET power_max_w = m.p
  FROM (SELECT k.kind, k.id, k.bucket, k.at_most, ${finer === null
    ? `(SELECT MAX(s.power_sum_w) FROM gpu_power_second s WHERE s.scope_kind = k.kind AND s.scope_id = k.id
        AND s.second_at >= k.bucket AND s.second_at < k.bucket + ${spanMin * 60_000})`
    : `(SELECT MAX(f.power_max_w) FROM gpu_rollup f WHERE f.scope_kind = k.kind AND f.scope_id = k.id AND f.span_min = ${finer}
        AND f.bucket_at >= k.bucket AND f.bucket_at < k.bucket + ${spanMin * 60_000})`} AS p
    FROM unnest(?::smallint[], ?::bigint[], ?::bigint[], ?::float8[]) AS k (kind, id, bucket, at_most)) AS m
  WHERE r.scope_kind = m.kind AND r.scope_id = m.id AND r.span_min = ${spanMin} AND r.bucket_at = m.bucket AND r.power_max_w <= m.at_most`
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

interface WideSecond { kind: number, id: number, secondAt: number, delta: SampleDelta, powered: boolean, changeW: number }

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
    const arrays = (of: typeof rows) => [column(of, r => r.nodeId), column(of, r => r.clusterId), column(of, r => r.s.gpuId),
      column(of, r => r.s.recordedAt), ...READINGS.map(k => column(of, r => r.s[k]))]
    const got = await q.all<{ id: number | null, node_id: number, gpu_id: number, recorded_at: number, watermark: number | null }>(RAW_SETTLED, ...arrays(rows))
    const watermark = got.find(r => r.id === null)?.watermark ?? null
    const late = watermark === null ? [] : rows.filter(r => r.s.recordedAt < Number(watermark))
    if (late.length > 0) {
      // Rows in compacted time: their node's blocks (and its scopes' seconds) thaw first.
      const byNode = new Map<number, { scopes: Array<[number, number]>, spans: Set<number> }>()
      for (const r of late) {
        let n = byNode.get(r.nodeId)
        if (n === undefined) byNode.set(r.nodeId, n = { scopes: [[SCOPE_FLEET, 0]], spans: new Set() })
        if (r.clusterId !== null && !n.scopes.some(([k, id]) => k === SCOPE_CLUSTER && id === r.clusterId)) n.scopes.push([SCOPE_CLUSTER, r.clusterId])
        n.spans.add(Math.floor(r.s.recordedAt / GPU_BLOCK_MS) * GPU_BLOCK_MS)
      }
      for (const [nodeId, n] of byNode) await thawPg(q, nodeId, n.scopes, [...n.spans])
      got.push(...await q.all<{ id: number, node_id: number, gpu_id: number, recorded_at: number, watermark: null }>(RAW, ...arrays(late)))
    }
    const ids = new Map<string, number>()
    for (const r of got) if (r.id !== null) ids.set(`${r.node_id}:${r.gpu_id}:${r.recorded_at}`, r.id)
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

  /** Recomputes the MAX of every span's bucket holding a lowered wide second, finest span first. */
  async function lowerMax (q: PgQuery, lowered: Array<{ kind: number, id: number, secondAt: number, atMost: number }>) {
    let finer: number | null = null
    for (const span of rollupSpans('fleet')) {
      const spanMs = span * 60_000
      const byBucket = new Map<string, { kind: number, id: number, bucket: number, atMost: number }>()
      for (const l of lowered) {
        const bucket = Math.floor(l.secondAt / spanMs) * spanMs
        const key = `${l.kind}:${l.id}:${bucket}`
        const prev = byBucket.get(key)
        if (prev === undefined || prev.atMost < l.atMost) byBucket.set(key, { kind: l.kind, id: l.id, bucket, atMost: l.atMost })
      }
      const rows = [...byBucket.values()].sort((a, b) => a.kind - b.kind || a.id - b.id || a.bucket - b.bucket)
      await q.run(REMAX(span, finer), column(rows, r => r.kind), column(rows, r => r.id), column(rows, r => r.bucket), column(rows, r => r.atMost))
      finer = span
    }
  }

  async function commit (batches: readonly SampleBatch[], identities: Map<string, string>): Promise<SampleBatchResult[]> {
    return db.tx(null, async q => {
      const nodes = [...new Set(batches.map(b => b.nodeId))].sort((a, b) => a - b)
      const spans = new Set<number>()
      for (const b of batches) for (const s of b.samples) spans.add(Math.floor(s.recordedAt / GPU_BLOCK_MS))
      await q.run(LOCK_NODES, [...spans].filter(Number.isSafeInteger).sort((a, b) => a - b), nodes)
      const stored = await storeAll(q, batches)

      const rollups = createRollupAccumulator(kind => rollupSpans(SCOPE_KIND_NAMES[kind]!))
      const wide = new Map<string, WideSecond>()
      const wideOf = (kind: number, id: number, secondAt: number) => {
        const key = `${kind}:${id}:${secondAt}`
        let w = wide.get(key)
        if (w === undefined) wide.set(key, w = { kind, id, secondAt, delta: emptyDelta(), powered: false, changeW: 0 })
        return w
      }

      const perBatch: SampleBatchResult[] = []
      const newestAll: Array<{ batch: SampleBatch, s: StoredGpuSample }> = []
      const secondsOf: Array<Map<number, SampleDelta>> = []
      // Per node and second with new power readings, the commit's rows by tick (all its batches).
      const powered = new Map<string, { nodeId: number, clusterId: number | null, sec: number, added: Map<number, TickPower>, after: TickPower[] }>()
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
          if (s.powerDrawW === null) continue
          const key = `${batch.nodeId}:${secondAt}`
          let p = powered.get(key)
          if (p === undefined) powered.set(key, p = { nodeId: batch.nodeId, clusterId: batch.clusterId, sec: secondAt, added: new Map(), after: [] })
          addTickPower(p.added, s.recordedAt, s.powerDrawW)
        }
        const newest = [...newestByGpu.values()].sort((a, b) => a.gpuId - b.gpuId)
        for (const s of newest) newestAll.push({ batch, s })
        secondsOf.push(seconds)
        perBatch.push({ inserted: stored[i]!.length, duplicates: batch.samples.length - stored[i]!.length, newest })
      })
      await writeLatest(q, newestAll, identities)

      // Each node's ticks in those seconds after this commit's rows: with what the commit added,
      // how its share of each second changed over the whole commit, and its new tick peaks.
      if (powered.size > 0) {
        const keys = [...powered.values()]
        for (const r of await q.all<{ node_id: number, at: number, sum_w: number, n: number }>(NODE_TICKS, column(keys, k => k.nodeId), column(keys, k => k.sec))) {
          powered.get(`${r.node_id}:${Math.floor(r.at / 1000) * 1000}`)?.after.push({ at: r.at, sumW: r.sum_w, n: r.n })
        }
      }
      const peaks = new Map<string, number | null>()
      for (const [key, p] of powered) {
        const change = secondPowerChange(p.after, p.added)
        peaks.set(key, change.peakW)
        if (change.afterW === null || change.afterW === change.beforeW) continue
        const changeW = change.afterW - (change.beforeW ?? 0)
        for (const w of p.clusterId === null ? [wideOf(SCOPE_FLEET, 0, p.sec)] : [wideOf(SCOPE_FLEET, 0, p.sec), wideOf(SCOPE_CLUSTER, p.clusterId, p.sec)]) {
          w.powered = true
          w.changeW += changeW
        }
      }
      batches.forEach((batch, i) => {
        for (const [secondAt, delta] of secondsOf[i]!) {
          rollups.add(SCOPE_NODE, batch.nodeId, secondAt, peaks.get(`${batch.nodeId}:${secondAt}`) ?? null, delta)
          mergeDelta(wideOf(SCOPE_FLEET, 0, secondAt).delta, delta)
          if (batch.clusterId !== null) mergeDelta(wideOf(SCOPE_CLUSTER, batch.clusterId, secondAt).delta, delta)
        }
      })

      const all = [...wide.values()].sort((a, b) => a.kind - b.kind || a.id - b.id || a.secondAt - b.secondAt)
      const changed = all.filter(w => w.powered)
      const wideSums = new Map<string, number>()
      if (changed.length > 0) {
        const rows = await q.all<{ scope_kind: number, scope_id: number, second_at: number, power_sum_w: number }>(SECONDS,
          column(changed, w => w.kind), column(changed, w => w.id), column(changed, w => w.secondAt), column(changed, w => w.changeW))
        for (const r of rows) wideSums.set(`${r.scope_kind}:${r.scope_id}:${r.second_at}`, r.power_sum_w)
      }
      // Per span and bucket, the largest value a lowered second had before this commit.
      const lowered = new Map<string, { kind: number, id: number, secondAt: number, atMost: number }>()
      for (const w of all) {
        const sum = w.powered ? (wideSums.get(`${w.kind}:${w.id}:${w.secondAt}`) ?? null) : null
        rollups.add(w.kind, w.id, w.secondAt, sum, w.delta)
        if (sum === null || w.changeW >= 0) continue
        const beforeW = sum - w.changeW
        // The stored MAX is a value this second (or another) had; a float hair of slack only costs a recompute.
        const atMost = beforeW + Math.abs(beforeW) * 1e-9 + 1e-6
        const key = `${w.kind}:${w.id}:${Math.floor(w.secondAt / 60_000)}`
        const prev = lowered.get(key)
        if (prev === undefined || prev.atMost < atMost) lowered.set(key, { kind: w.kind, id: w.id, secondAt: w.secondAt, atMost })
      }
      await writeRollups(q, rollups.rows())
      if (lowered.size > 0) await lowerMax(q, [...lowered.values()])
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
