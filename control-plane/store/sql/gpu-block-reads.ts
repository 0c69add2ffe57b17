import type { GpuReadingsAt } from '../telemetry-repository.ts'
import type { SqlQuery } from '../sql-db.ts'
import { WIRE_GPU_FIELDS, type GpuSampleKey } from '../../../shared/gpu-fields.ts'
import { decodeGpuBlock, decodeGpuBlockColumn, gpuBlockTimes, GPU_BLOCK_MS, type BlockRow } from '../gpu-block-codec.ts'

/**
 * Reads of compacted raw telemetry (gpu_block), both engines: what the raw table no longer
 * holds, decoded for the reads that need single rows. A key is in gpu_stats or in a block,
 * never both (ingest thaws a block before it writes into its span), so unions never double.
 */

/** The readings in block column order: shared/gpu-fields.ts's stored rows. */
export const BLOCK_READINGS: readonly GpuSampleKey[] = WIRE_GPU_FIELDS.map(f => f.sample)
export const BLOCK_WIRE_COLUMNS: readonly string[] = WIRE_GPU_FIELDS.map(f => f.wire)
const UTIL_COLUMN = BLOCK_READINGS.indexOf('utilizationPct')

export const blockStart = (ms: number) => Math.floor(ms / GPU_BLOCK_MS) * GPU_BLOCK_MS

/** The SQL for one GPU's raw rows (see GPU_HEAD_SQL); with minuteMs, a fifth parameter: ?1 down to it. */
export interface GpuHeadSql { sql: string, minuteMs?: number }

interface BlockDbRow { node_id: number, block_at: number, row_count: number, data: Uint8Array }

/** Every block covers times before this; -Infinity when nothing was compacted. */
export async function compactedBefore (db: SqlQuery): Promise<number> {
  const row = await db.one<{ m: number | null }>('SELECT MAX(block_at) AS m FROM gpu_block')
  return row?.m === null || row?.m === undefined ? -Infinity : Number(row.m) + GPU_BLOCK_MS
}

/** Rows held in blocks (optionally of one node, recorded in [fromMs, toMs)). */
export async function countBlockRows (db: SqlQuery, filter: { nodeId?: number, fromMs?: number, toMs?: number }): Promise<number> {
  const where: string[] = []
  const params: number[] = []
  if (filter.nodeId !== undefined) { where.push('node_id = ?'); params.push(filter.nodeId) }
  if (filter.fromMs !== undefined) { where.push('block_at > ?'); params.push(filter.fromMs - GPU_BLOCK_MS) }
  if (filter.toMs !== undefined) { where.push('block_at < ?'); params.push(filter.toMs) }
  const from = filter.fromMs ?? -Infinity
  const to = filter.toMs ?? Infinity
  const sql = `FROM gpu_block ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}`
  // Blocks wholly inside the range count by their row count; the ragged ends decode their times.
  const whole = await db.one<{ n: number | null }>(`SELECT SUM(row_count) AS n ${sql}${where.length === 0 ? ' WHERE' : ' AND'} block_at >= ? AND block_at + ? <= ?`,
    ...params, Number.isFinite(from) ? from : -(2 ** 52), GPU_BLOCK_MS, Number.isFinite(to) ? to : 2 ** 52)
  let n = Number(whole?.n ?? 0)
  if (from === -Infinity && to === Infinity) return n
  const ragged = await db.all<BlockDbRow>(`SELECT data ${sql}${where.length === 0 ? ' WHERE' : ' AND'} (block_at < ? OR block_at + ? > ?)`,
    ...params, Number.isFinite(from) ? from : -(2 ** 52), GPU_BLOCK_MS, Number.isFinite(to) ? to : 2 ** 52)
  for (const b of ragged) for (const at of gpuBlockTimes(b.data)) if (at >= from && at < to) n++
  return n
}

export function toReadingsAt (row: BlockRow): GpuReadingsAt {
  const out: Record<string, number | null> = { recordedAt: row.recordedAt }
  for (let c = 0; c < BLOCK_READINGS.length; c++) out[BLOCK_READINGS[c]!] = row.readings[c] ?? null
  return out as unknown as GpuReadingsAt
}

/**
 * One GPU's raw rows recorded in [?1, ?2) of node ?3, GPU ?4: a range of PostgreSQL's node-led
 * key. SQLite's key leads with time, so it reads through its head directory instead
 * (SQLITE_GPU_HEAD_SQL in sqlite-gpu-head.ts).
 */
export const GPU_HEAD_SQL = `SELECT recorded_at, ${BLOCK_WIRE_COLUMNS.join(', ')} FROM gpu_stats
  WHERE recorded_at >= ? AND recorded_at < ? AND node_id = ? AND gpu_id = ?`

/** One GPU's rows in [fromMs, toMs): its node's blocks there, decoded for that GPU, and the raw table's (`headSql`). */
export async function gpuHistory (db: SqlQuery, nodeId: number, gpuId: number, fromMs: number, toMs: number, headSql: GpuHeadSql = { sql: GPU_HEAD_SQL }): Promise<GpuReadingsAt[]> {
  const out: GpuReadingsAt[] = []
  const blocks = await db.all<BlockDbRow>('SELECT data FROM gpu_block WHERE node_id = ? AND block_at > ? AND block_at < ? ORDER BY block_at',
    nodeId, fromMs - GPU_BLOCK_MS, toMs)
  for (const b of blocks) {
    for (const row of decodeGpuBlock(b.data, g => g === gpuId)) if (row.recordedAt >= fromMs && row.recordedAt < toMs) out.push(toReadingsAt(row))
  }
  const raw = await db.all<Record<string, number | null>>(headSql.sql, fromMs, toMs, nodeId, gpuId,
    ...(headSql.minuteMs === undefined ? [] : [Math.floor(fromMs / headSql.minuteMs) * headSql.minuteMs]))
  for (const r of raw) {
    const row: Record<string, number | null> = { recordedAt: Number(r.recorded_at) }
    for (let c = 0; c < BLOCK_READINGS.length; c++) row[BLOCK_READINGS[c]!] = r[BLOCK_WIRE_COLUMNS[c]!] ?? null
    out.push(row as unknown as GpuReadingsAt)
  }
  return out.sort((a, b) => a.recordedAt - b.recordedAt)
}

/** One compacted utilization reading: [node_id, gpu_id, recorded_at, utilization_pct]. */
export type ColdUtilization = [number, number, number, number | null]

/**
 * Compacted utilization readings recorded in [fromMs, toMs) (of `nodes` only when given), for
 * the utilization reads whose window reaches before the compaction watermark.
 */
export async function coldUtilization (db: SqlQuery, fromMs: number, toMs: number, nodes?: ReadonlySet<number>): Promise<ColdUtilization[]> {
  const out: ColdUtilization[] = []
  if (!(toMs > fromMs)) return out
  const blocks = nodes === undefined
    ? await db.all<BlockDbRow>('SELECT node_id, data FROM gpu_block WHERE block_at > ? AND block_at < ?', fromMs - GPU_BLOCK_MS, toMs)
    : (await Promise.all([...nodes].map(async node => db.all<BlockDbRow>('SELECT node_id, data FROM gpu_block WHERE node_id = ? AND block_at > ? AND block_at < ?',
        node, fromMs - GPU_BLOCK_MS, toMs)))).flat()
  for (const b of blocks) {
    const node = Number(b.node_id)
    for (const p of decodeGpuBlockColumn(b.data, UTIL_COLUMN, () => true)) {
      if (p.at >= fromMs && p.at < toMs) out.push([node, p.gpuId, p.at, p.value])
    }
  }
  return out
}
