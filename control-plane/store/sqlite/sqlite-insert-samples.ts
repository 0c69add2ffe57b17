import type { PackedSamples, SampleBatch, SampleBatchResult, StoredGpuSample } from '../telemetry-repository.ts'
import { rollupSpans } from '../telemetry-repository.ts'
import { MAX_GPU_ID, WIRE_GPU_FIELDS } from '../../../shared/gpu-fields.ts'
import { addReadingsToDelta, emptyDelta, mergeDelta, type SampleDelta } from '../sample-delta.ts'
import { NUMBERS_PER_SAMPLE as N, READING_COUNT, packedOf, readingSlot, unpackSample } from '../packed-samples.ts'
import { createRollupAccumulator, type RollupRow } from '../create-rollup-accumulator.ts'
import { addTickPower, secondPowerChange, type TickPower } from '../second-power-change.ts'
import type { SqliteDb } from './sqlite-db.ts'
import type { SqliteGpuBlocks } from './sqlite-gpu-blocks.ts'
import { createSqliteGpuHead } from './sqlite-gpu-head.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_KIND_NAMES, SCOPE_NODE } from './sqlite-telemetry-migrations.ts'

// The raw columns after the keys are shared/gpu-fields.ts's readings, in the packed rows' order.
const RAW_COLUMNS = ['node_id', 'cluster_id', 'gpu_id', 'recorded_at', ...WIRE_GPU_FIELDS.map(f => f.wire)]
const LATEST_COLUMNS = ['node_id', 'gpu_id', 'recorded_at']
const IDENTITY_COLUMNS = ['node_id', 'gpu_id', 'identity_at', 'cluster_id', 'hostname', 'name', 'uuid', 'pci_bus_id']
const ROLLUP_COLUMNS = [
  'scope_kind', 'scope_id', 'span_min', 'bucket_at', 'power_max_w', 'power_sum_w', 'power_n',
  'util_sum', 'util_n', 'util_max', 'temp_sum', 'temp_n', 'samples',
]
// Multi-row statements: one native call per chunk instead of per row. Chunk sizes stay small
// enough that the statement cache holds at most CHUNK variants of each.
const CHUNK = 32

// The packed rows' readings a rollup folds (NaN: null).
const POWER = readingSlot('powerDrawW')
const UTIL = readingSlot('utilizationPct')
const TEMP = readingSlot('tempC')
const orNull = (v: number): number | null => v === v ? v : null
// One key per (recorded_at, gpu_id) of a node: gpu_id is 0..MAX_GPU_ID (the wire's bound,
// packSamples refuses others) and recorded_at × 256 stays an exact double until the year 3000.
const GPU_IDS = MAX_GPU_ID + 1
const rowKey = (recordedAt: number, gpuId: number): number => recordedAt * GPU_IDS + gpuId
/** One key per GPU of the fleet (node ids stay far below 2^45). */
const gpuKey = (nodeId: number, gpuId: number): number => nodeId * GPU_IDS + gpuId

// A GPU's identity as gpu_identity holds it: what this process last wrote is not written again.
interface Identity { clusterId: number | null, hostname: string | null, name: string, uuid: string | null, pciBusId: string | null }
const sameIdentity = (i: Identity | undefined, batch: SampleBatch, s: StoredGpuSample): boolean =>
  i !== undefined && i.clusterId === batch.clusterId && i.hostname === batch.hostname && i.name === s.name &&
  i.uuid === s.uuid && i.pciBusId === s.pciBusId

// Each newest sample's row index in its batch, for the writer thread's reply (telemetry-writer-wire.ts).
const rowOfNewest = new WeakMap<StoredGpuSample, number>()
/** The row index in its batch of a sample insertSamples returned as newest (undefined: not one). */
export const newestRowOf = (s: StoredGpuSample): number | undefined => rowOfNewest.get(s)

const MAX_OR_EITHER = (c: string) => `${c} = COALESCE(MAX(${c}, excluded.${c}), ${c}, excluded.${c})`
const ADD = (c: string) => `${c} = ${c} + excluded.${c}`

/**
 * The group-commit write: every batch in one IMMEDIATE transaction. Per batch: INSERT OR
 * IGNORE the raw rows (idempotency), learn which were new from changes/lastInsertRowid,
 * upsert the latest table where newer, and fold the new rows into the rollups of the node,
 * its cluster and the fleet. Power follows seed 000 per recorded_at (second-power-change.ts):
 * a node's MAX is over its tick sums, a wider scope's second adds each node's latest tick in
 * it. A throw rolls everything back.
 */
export function createSqliteInsertSamples (db: SqliteDb, blocks?: SqliteGpuBlocks) {
  const values = (columns: string[], n: number) =>
    Array.from({ length: n }, () => `(${columns.map(() => '?').join(', ')})`).join(', ')
  // SQL text per chunk size, built once (db.stmt caches the prepared statement by text).
  const bySize = (sql: (n: number) => string) => {
    const texts: string[] = []
    return (n: number) => db.stmt(texts[n] ??= sql(n))
  }
  const insertRaw = bySize(n =>
    `INSERT OR IGNORE INTO gpu_stats (${RAW_COLUMNS.join(', ')}) VALUES ${values(RAW_COLUMNS, n)}`)
  // Latest: one UPDATE per push (its GPUs share the tick's time), an insert only for GPUs
  // not seen before. "Only when newer" is the WHERE, so a late replay changes nothing.
  const advanceLatest = bySize(n =>
    `UPDATE gpu_stats_latest SET recorded_at = ?1
     WHERE node_id = ?2 AND recorded_at < ?1 AND gpu_id IN (${Array.from({ length: n }, (_, i) => `?${i + 3}`).join(', ')})`)
  // The same for a push whose GPUs are one run of ids (0..7, the usual case): a range of the
  // (node_id, gpu_id) key instead of an IN list, which SQLite walks as an ephemeral table.
  const advanceLatestRun = () => db.stmt(`UPDATE gpu_stats_latest SET recorded_at = ?1
     WHERE node_id = ?2 AND gpu_id >= ?3 AND gpu_id <= ?4 AND recorded_at < ?1`)
  const insertLatest = bySize(n =>
    `INSERT OR IGNORE INTO gpu_stats_latest (${LATEST_COLUMNS.join(', ')}) VALUES ${values(LATEST_COLUMNS, n)}`)
  const upsertIdentity = () => db.stmt(
    `INSERT INTO gpu_identity (${IDENTITY_COLUMNS.join(', ')}) VALUES (${IDENTITY_COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (node_id, gpu_id) DO UPDATE SET
       ${IDENTITY_COLUMNS.slice(2).map(c => `${c} = excluded.${c}`).join(', ')}
     WHERE excluded.identity_at >= gpu_identity.identity_at`)
  // What this process last wrote per GPU, so an unchanged identity costs no statement. Only
  // updated after a commit: a rolled-back write must be retried by the next push.
  const identityWritten = new Map<number, Identity>()
  const upsertRollups = bySize(n =>
    `INSERT INTO gpu_rollup (${ROLLUP_COLUMNS.join(', ')}) VALUES ${values(ROLLUP_COLUMNS, n)}
     ON CONFLICT (scope_kind, scope_id, span_min, bucket_at) DO UPDATE SET
       ${MAX_OR_EITHER('power_max_w')}, ${ADD('power_sum_w')}, ${ADD('power_n')}, ${ADD('util_sum')},
       ${ADD('util_n')}, ${MAX_OR_EITHER('util_max')}, ${ADD('temp_sum')}, ${ADD('temp_n')}, ${ADD('samples')}`)
  // One push's new rows get consecutive rowids: their directory entry, one small insert a push.
  const head = createSqliteGpuHead(db)
  const idRange = () => db.stmt('SELECT id, gpu_id, recorded_at FROM gpu_stats WHERE id BETWEEN ? AND ?')
  // A node's ticks in one second from raw rows: a range of the (recorded_at, node_id, gpu_id)
  // key over the fleet's second, so only asked when the node may already have rows in it.
  const nodeSecondTicks = () => db.stmt(
    `SELECT recorded_at AS at, TOTAL(power_draw_w) AS sumW, COUNT(power_draw_w) AS n FROM gpu_stats
     WHERE recorded_at >= ? AND recorded_at < ? AND node_id = ? GROUP BY recorded_at`)
  // One tick of a node: a point of that key (its GPUs' rows).
  const nodeTick = () => db.stmt(
    'SELECT TOTAL(power_draw_w) AS sumW, COUNT(power_draw_w) AS n FROM gpu_stats WHERE recorded_at = ? AND node_id = ?')
  const nodeNewest = () => db.stmt('SELECT MAX(recorded_at) AS at FROM gpu_stats_latest WHERE node_id = ?')
  // A wide scope's second moves by the change of each node's share (its latest tick in it).
  const addSecond = () => db.stmt(
    `INSERT INTO gpu_power_second (scope_kind, scope_id, second_at, power_sum_w) VALUES (?, ?, ?, ?)
     ON CONFLICT (scope_kind, scope_id, second_at) DO UPDATE SET power_sum_w = power_sum_w + excluded.power_sum_w
     RETURNING power_sum_w`)
  // A second that went down may have been its buckets' MAX: recompute each span's bucket from
  // the level below (seconds, then the finer rollups), only where the stored MAX was that value.
  const remax = (finer: number | null) => db.stmt(finer === null
    ? `UPDATE gpu_rollup SET power_max_w = (SELECT MAX(power_sum_w) FROM gpu_power_second
         WHERE scope_kind = ?1 AND scope_id = ?2 AND second_at >= ?4 AND second_at < ?4 + ?5)
       WHERE scope_kind = ?1 AND scope_id = ?2 AND span_min = ?3 AND bucket_at = ?4 AND power_max_w <= ?6`
    : `UPDATE gpu_rollup SET power_max_w = (SELECT MAX(power_max_w) FROM gpu_rollup
         WHERE scope_kind = ?1 AND scope_id = ?2 AND span_min = ${finer} AND bucket_at >= ?4 AND bucket_at < ?4 + ?5)
       WHERE scope_kind = ?1 AND scope_id = ?2 AND span_min = ?3 AND bucket_at = ?4 AND power_max_w <= ?6`)

  interface WideSecond { kind: number, id: number, secondAt: number, delta: SampleDelta, powered: boolean, changeW: number }

  /**
   * INSERT OR IGNORE of a batch's `unique` rows (indexes into its packed block), bound straight
   * from the block (no object per row). Returns the rows that were new and their ids.
   */
  function insertRawRows (batch: SampleBatch, packed: PackedSamples, unique: readonly number[]): { rows: number[], ids: number[] } {
    const n = packed.numbers
    const rows: number[] = []
    const ids: number[] = []
    for (let start = 0; start < unique.length; start += CHUNK) {
      const size = Math.min(CHUNK, unique.length - start)
      const params: Array<number | null> = []
      for (let k = start; k < start + size; k++) {
        const at = unique[k]! * N
        params.push(batch.nodeId, batch.clusterId, n[at]!, n[at + 1]!)
        for (let j = at + 2; j < at + 2 + READING_COUNT; j++) params.push(orNull(n[j]!))
      }
      const r = insertRaw(size).run(...params)
      const changes = Number(r.changes)
      const last = Number(r.lastInsertRowid)
      if (changes === size) {
        // One statement's new rowids are consecutive (each is max(rowid)+1), ending at `last`.
        for (let k = 0; k < size; k++) {
          rows.push(unique[start + k]!)
          ids.push(last - size + 1 + k)
        }
      } else if (changes > 0) {
        const idOf = new Map<number, number>()
        for (const row of idRange().all(last - changes + 1, last) as Array<{ id: number, gpu_id: number, recorded_at: number }>) {
          idOf.set(rowKey(row.recorded_at, row.gpu_id), row.id)
        }
        for (let k = start; k < start + size; k++) {
          const at = unique[k]! * N
          const id = idOf.get(rowKey(n[at + 1]!, n[at]!))
          if (id === undefined) continue
          rows.push(unique[k]!)
          ids.push(id)
        }
      }
    }
    head.add(batch.nodeId, ids, rows.map(r => n[r * N + 1]!))
    return { rows, ids }
  }

  function writeLatest (batch: SampleBatch, newest: StoredGpuSample[], identities: Map<number, Identity>): void {
    const gpusByTime = new Map<number, number[]>()
    for (const s of newest) {
      const gpus = gpusByTime.get(s.recordedAt)
      if (gpus === undefined) gpusByTime.set(s.recordedAt, [s.gpuId])
      else gpus.push(s.gpuId)
    }
    for (const [at, gpus] of gpusByTime) {
      for (let start = 0; start < gpus.length; start += CHUNK) {
        const chunk = gpus.slice(start, start + CHUNK)
        // Sorted by gpuId (newest is): one run when the last is first + length - 1.
        const run = chunk.length > 1 && chunk[chunk.length - 1]! - chunk[0]! === chunk.length - 1
        const advanced = Number((run
          ? advanceLatestRun().run(at, batch.nodeId, chunk[0]!, chunk[chunk.length - 1]!)
          : advanceLatest(chunk.length).run(at, batch.nodeId, ...chunk)).changes)
        if (advanced < chunk.length) insertLatest(chunk.length).run(...chunk.flatMap(g => [batch.nodeId, g, at]))
      }
    }
    for (const s of newest) {
      const key = gpuKey(batch.nodeId, s.gpuId)
      if (sameIdentity(identityWritten.get(key), batch, s) || sameIdentity(identities.get(key), batch, s)) continue
      upsertIdentity().run(batch.nodeId, s.gpuId, s.recordedAt, batch.clusterId, batch.hostname, s.name, s.uuid, s.pciBusId)
      identities.set(key, { clusterId: batch.clusterId, hostname: batch.hostname, name: s.name, uuid: s.uuid, pciBusId: s.pciBusId })
    }
  }

  function writeRollups (rows: RollupRow[]): void {
    for (let start = 0; start < rows.length; start += CHUNK) {
      const chunk = rows.slice(start, start + CHUNK)
      const params: Array<number | null> = []
      for (const r of chunk) {
        params.push(r.scopeKind, r.scopeId, r.spanMin, r.bucketAt, r.powerMaxW, r.powerSumW ?? 0, r.powerN,
          r.utilSum, r.utilN, r.utilMax, r.tempSum, r.tempN, r.samples)
      }
      upsertRollups(chunk.length).run(...params)
    }
  }

  /**
   * A node's ticks in one second after this batch's rows (`added`), given its newest tick
   * before them. Each raw row is at or before its GPU's latest, so: a second after that newest
   * tick held none of the node's rows (the batch's own ticks are all); a batch whose ticks all
   * come after it, in its second (two ticks in one second: sub-second intervals, jitter), adds
   * them to that newest tick, when it reported power. Only the rest (late, split, replayed)
   * reads the node's whole second.
   */
  function nodeTicksAfter (nodeId: number, secondAt: number, before: number | null, added: Map<number, TickPower>): Iterable<TickPower> {
    if (before === null || before < secondAt) return added.values()
    if (before < secondAt + 1000) {
      let inOrder = true
      for (const at of added.keys()) if (at <= before) inOrder = false
      if (inOrder) {
        const prev = nodeTick().get(before, nodeId) as { sumW: number, n: number }
        if (prev.n > 0) return [{ at: before, sumW: prev.sumW, n: prev.n }, ...added.values()]
      }
    }
    return nodeSecondTicks().all(secondAt, secondAt + 1000, nodeId) as unknown as TickPower[]
  }

  /** The buckets holding a wide second that went down from `beforeW`: their MAX again, finest span first. */
  function lowerMax (w: WideSecond, beforeW: number): void {
    // The stored MAX is a value this second (or another) had; a float hair of slack only costs a recompute.
    const atMost = beforeW + Math.abs(beforeW) * 1e-9 + 1e-6
    let finer: number | null = null
    for (const span of rollupSpans(SCOPE_KIND_NAMES[w.kind]!)) {
      const spanMs = span * 60_000
      const bucketAt = Math.floor(w.secondAt / spanMs) * spanMs
      const lowered = Number(remax(finer).run(w.kind, w.id, span, bucketAt, spanMs, atMost).changes)
      if (lowered === 0) return
      finer = span
    }
  }

  return function insertSamples (batches: readonly SampleBatch[]): SampleBatchResult[] {
    const identities = new Map<number, Identity>()
    const results = db.tx(() => {
      // Rows landing in compacted spans: those blocks become raw rows again first, so the
      // logic below sees exactly the rows it would without compaction (no statement otherwise).
      blocks?.thawForBatches(batches)
      const rollups = createRollupAccumulator(kind => rollupSpans(SCOPE_KIND_NAMES[kind]!))
      const wide = new Map<string, WideSecond>()
      const addWide = (kind: number, id: number, secondAt: number, delta: SampleDelta, powered: boolean, changeW: number) => {
        const key = `${kind}:${id}:${secondAt}`
        let w = wide.get(key)
        if (w === undefined) {
          w = { kind, id, secondAt, delta: emptyDelta(), powered: false, changeW: 0 }
          wide.set(key, w)
        }
        mergeDelta(w.delta, delta)
        if (powered) {
          w.powered = true
          w.changeW += changeW
        }
      }

      const perBatch = batches.map((batch): SampleBatchResult => {
        const packed = packedOf(batch)
        const n = packed.numbers
        const seen = new Set<number>()
        const unique: number[] = []
        for (let r = 0; r < packed.count; r++) {
          const key = rowKey(n[r * N + 1]!, n[r * N]!)
          if (seen.has(key)) continue
          seen.add(key)
          unique.push(r)
        }
        const { rows, ids } = insertRawRows(batch, packed, unique)

        // Per GPU, the index (into rows) of its newest stored row.
        const newestOf = new Map<number, number>()
        const seconds = new Map<number, { delta: SampleDelta, ticks: Map<number, TickPower> }>()
        for (let k = 0; k < rows.length; k++) {
          const at = rows[k]! * N
          const gpuId = n[at]!
          const recordedAt = n[at + 1]!
          const prev = newestOf.get(gpuId)
          if (prev === undefined || recordedAt > n[rows[prev]! * N + 1]!) newestOf.set(gpuId, k)
          const secondAt = Math.floor(recordedAt / 1000) * 1000
          let sec = seconds.get(secondAt)
          if (sec === undefined) seconds.set(secondAt, sec = { delta: emptyDelta(), ticks: new Map() })
          const powerW = orNull(n[at + POWER]!)
          addReadingsToDelta(sec.delta, powerW, orNull(n[at + UTIL]!), orNull(n[at + TEMP]!))
          addTickPower(sec.ticks, recordedAt, powerW)
        }
        const newestRows = [...newestOf.values()].sort((a, b) => n[rows[a]! * N]! - n[rows[b]! * N]!)
        const newest = newestRows.map((k): StoredGpuSample => {
          const s = Object.assign(unpackSample(packed, rows[k]!), { id: ids[k]! })
          rowOfNewest.set(s, rows[k]!)
          return s
        })
        // The node's newest tick before this batch: what nodeTicksAfter needs to know which of
        // the batch's seconds already hold its rows.
        const before = seconds.size === 0 ? null : (nodeNewest().get(batch.nodeId) as { at: number | null }).at
        writeLatest(batch, newest, identities)

        for (const [secondAt, { delta, ticks }] of seconds) {
          const change = delta.powerSumW === null ? null : secondPowerChange(nodeTicksAfter(batch.nodeId, secondAt, before, ticks), ticks)
          rollups.add(SCOPE_NODE, batch.nodeId, secondAt, change?.peakW ?? null, delta)
          // The node's share of the second moved from its previous latest powered tick to the new one.
          const powered = change !== null && change.afterW !== null && change.afterW !== change.beforeW
          const changeW = powered ? change.afterW! - (change.beforeW ?? 0) : 0
          addWide(SCOPE_FLEET, 0, secondAt, delta, powered, changeW)
          if (batch.clusterId !== null) addWide(SCOPE_CLUSTER, batch.clusterId, secondAt, delta, powered, changeW)
        }
        return { inserted: rows.length, duplicates: packed.count - rows.length, newest }
      })

      const lowered: Array<[WideSecond, number]> = []
      for (const w of wide.values()) {
        const sum = !w.powered
          ? null
          : (addSecond().get(w.kind, w.id, w.secondAt, w.changeW) as { power_sum_w: number }).power_sum_w
        if (sum !== null && w.changeW < 0) lowered.push([w, sum - w.changeW])
        rollups.add(w.kind, w.id, w.secondAt, sum, w.delta)
      }
      writeRollups(rollups.rows())
      for (const [w, beforeW] of lowered) lowerMax(w, beforeW)
      return perBatch
    })
    for (const [key, identity] of identities) identityWritten.set(key, identity)
    return results
  }
}
