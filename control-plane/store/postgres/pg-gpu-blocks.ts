import type { CompactResult } from '../telemetry-repository.ts'
import type { PgDb, PgQuery } from './pg-db.ts'
import { decodeGpuBlock, decodePowerBlock, encodeGpuBlock, encodePowerBlock, GPU_BLOCK_MS, type BlockRow, type SeriesPoint } from '../gpu-block-codec.ts'
import { BLOCK_WIRE_COLUMNS, blockStart } from '../sql/gpu-block-reads.ts'
import { WIRE_GPU_FIELDS } from '../../../shared/gpu-fields.ts'

/**
 * PostgreSQL's side of compressed raw telemetry (telemetry migration 4), as
 * sqlite-gpu-blocks.ts, with PostgreSQL's concurrency: several replicas may ingest while the
 * leader compacts.
 * - A node's raw rows move under that node's advisory lock, the one ingest holds.
 * - A scope's per-second sums of a span move under that span's advisory lock, exclusive;
 *   every ingest holds the span locks of its rows' spans shared (in its one lock statement),
 *   since any node's push writes its cluster's and the fleet's seconds.
 * - Ingest reads the watermark in its insert statement, after those locks: rows before it go
 *   through thaw (DELETE … RETURNING, so two commits never thaw one block twice), then in.
 */

const ARRAY_TYPE = { real: 'float8', integer: 'bigint' } as const
const COLUMNS = ['node_id', 'cluster_id', 'gpu_id', 'recorded_at', ...BLOCK_WIRE_COLUMNS]
const UNNEST = `unnest(?::bigint[], ?::bigint[], ?::int[], ?::bigint[], ${WIRE_GPU_FIELDS.map(f => `?::${ARRAY_TYPE[f.sqlType]}[]`).join(', ')})`
export const NODE_LOCK = "pg_advisory_xact_lock(hashtext('gpufleet:telemetry-node'), (? % 2147483648)::int)"
export const SPAN_LOCK_KEY = "hashtext('gpufleet:telemetry-span')"
const NOT_LATEST = `NOT EXISTS (SELECT 1 FROM gpu_stats_latest l
  WHERE l.node_id = s.node_id AND l.gpu_id = s.gpu_id AND l.recorded_at = s.recorded_at)`

/** The arrays for UNNEST from block rows of one node. */
function rawArrays (nodeId: number, rows: readonly BlockRow[]): unknown[] {
  return [rows.map(() => nodeId), rows.map(r => r.clusterId), rows.map(r => r.gpuId), rows.map(r => r.recordedAt),
    ...BLOCK_WIRE_COLUMNS.map((_, c) => rows.map(r => r.readings[c] ?? null))]
}

/** A late commit's blocks become raw rows again: the node's, and its cluster's and the fleet's seconds. */
export async function thawPg (q: PgQuery, nodeId: number, scopes: ReadonlyArray<readonly [number, number]>, spans: readonly number[]): Promise<void> {
  for (const b of await q.all<{ data: Uint8Array }>('DELETE FROM gpu_block WHERE node_id = ? AND block_at = ANY(?::bigint[]) RETURNING data', nodeId, spans)) {
    const rows = decodeGpuBlock(b.data)
    await q.run(`INSERT INTO gpu_stats (${COLUMNS.join(', ')}) SELECT * FROM ${UNNEST} ON CONFLICT DO NOTHING`, ...rawArrays(nodeId, rows))
  }
  for (const [kind, id] of scopes) {
    const blocks = await q.all<{ data: Uint8Array }>('DELETE FROM gpu_power_block WHERE scope_kind = ? AND scope_id = ? AND block_at = ANY(?::bigint[]) RETURNING data',
      kind, id, spans)
    for (const b of blocks) await insertSeconds(q, kind, id, decodePowerBlock(b.data))
  }
}

async function insertSeconds (q: PgQuery, kind: number, id: number, points: readonly SeriesPoint[]): Promise<void> {
  if (points.length === 0) return
  await q.run(`INSERT INTO gpu_power_second (scope_kind, scope_id, second_at, power_sum_w)
    SELECT ?::smallint, ?::bigint, * FROM unnest(?::bigint[], ?::float8[])`, kind, id, points.map(p => p.at), points.map(p => p.value))
}

export function createPgGpuBlocks (db: PgDb) {
  // Where the last step stopped among the nodes, so a bounded step does not always favour the first ones.
  let nodeCursor = 0

  /** One node's settled spans, oldest first, until `budget` rows moved; its rows moved. */
  async function compactNode (nodeId: number, cutoff: number, budget: number): Promise<number> {
    return db.tx(null, async q => {
      await q.run(`SELECT ${NODE_LOCK}`, nodeId)
      let moved = 0
      let from = -(2 ** 52)
      while (moved < budget) {
        const first = await q.one<{ at: number | null }>(`SELECT MIN(s.recorded_at) AS at FROM gpu_stats s
          WHERE s.node_id = ? AND s.recorded_at >= ? AND s.recorded_at < ? AND ${NOT_LATEST}`, nodeId, from, cutoff)
        if (first?.at === null || first?.at === undefined) break
        const at = blockStart(Number(first.at))
        const end = at + GPU_BLOCK_MS
        const rows = await q.all<Record<string, number | null>>(`DELETE FROM gpu_stats s
          WHERE s.node_id = ? AND s.recorded_at >= ? AND s.recorded_at < ? AND ${NOT_LATEST}
          RETURNING ${COLUMNS.join(', ')}`, nodeId, at, end)
        const fresh: BlockRow[] = rows.map(r => ({
          gpuId: Number(r.gpu_id), recordedAt: Number(r.recorded_at), clusterId: r.cluster_id === null ? null : Number(r.cluster_id),
          readings: BLOCK_WIRE_COLUMNS.map(c => (r[c] === null || r[c] === undefined ? null : Number(r[c]))),
        }))
        const old = await q.one<{ data: Uint8Array }>('DELETE FROM gpu_block WHERE node_id = ? AND block_at = ? RETURNING data', nodeId, at)
        const merged = old === undefined ? fresh : [...fresh, ...decodeGpuBlock(old.data)]
        await q.run('INSERT INTO gpu_block (node_id, block_at, row_count, data) VALUES (?, ?, ?, ?)',
          nodeId, at, merged.length, encodeGpuBlock(at, BLOCK_WIRE_COLUMNS.length, merged))
        moved += fresh.length
        from = end
      }
      return moved
    })
  }

  /** One scope's span of per-second sums into its block, under the span's lock. */
  async function compactSeconds (kind: number, id: number, at: number): Promise<number> {
    return db.tx(null, async q => {
      await q.run(`SELECT pg_advisory_xact_lock(${SPAN_LOCK_KEY}, (?::bigint % 2147483648)::int)`, at / GPU_BLOCK_MS)
      const rows = await q.all<{ second_at: number, power_sum_w: number }>(`DELETE FROM gpu_power_second
        WHERE scope_kind = ? AND scope_id = ? AND second_at >= ? AND second_at < ? RETURNING second_at, power_sum_w`, kind, id, at, at + GPU_BLOCK_MS)
      if (rows.length === 0) return 0
      const fresh = rows.map(r => ({ at: Number(r.second_at), value: Number(r.power_sum_w) }))
      const old = await q.one<{ data: Uint8Array }>('DELETE FROM gpu_power_block WHERE scope_kind = ? AND scope_id = ? AND block_at = ? RETURNING data', kind, id, at)
      const merged = old === undefined ? fresh : [...fresh, ...decodePowerBlock(old.data)]
      await q.run('INSERT INTO gpu_power_block (scope_kind, scope_id, block_at, data) VALUES (?, ?, ?, ?)', kind, id, at, encodePowerBlock(at, merged))
      return rows.length
    })
  }

  return {
    /**
     * One bounded step: each node's settled spans (round robin; a transaction per node), then
     * each scope's settled seconds. With `afterMs`, a node's spans only up to its newest row
     * minus `afterMs` (see sqlite-gpu-blocks.ts).
     */
    async compact (before: number, limit: number, afterMs?: number): Promise<CompactResult> {
      const cutoff = blockStart(before)
      let moved = 0
      const nodes = (await db.all<{ node_id: number, newest: number }>('SELECT node_id, MAX(recorded_at) AS newest FROM gpu_stats_latest GROUP BY node_id ORDER BY node_id'))
        .map(r => ({ id: Number(r.node_id), end: afterMs === undefined ? cutoff : Math.min(cutoff, blockStart(Number(r.newest) - afterMs)) }))
      const start = nodes.findIndex(n => n.id >= nodeCursor)
      const order = start <= 0 ? nodes : [...nodes.slice(start), ...nodes.slice(0, start)]
      for (const { id: node, end } of order) {
        moved += await compactNode(node, end, limit - moved)
        if (moved >= limit) { nodeCursor = node; return { moved, more: true } }
      }
      nodeCursor = 0
      const scopes = await db.all<{ scope_kind: number, scope_id: number, first: number }>(`SELECT scope_kind, scope_id, MIN(second_at) AS first
        FROM gpu_power_second WHERE second_at < ? GROUP BY scope_kind, scope_id`, cutoff)
      for (const s of scopes) {
        let at: number | null = blockStart(Number(s.first))
        while (at !== null && at < cutoff) {
          moved += await compactSeconds(Number(s.scope_kind), Number(s.scope_id), at)
          if (moved >= limit) return { moved, more: true }
          const next: { m: number | null } | undefined = await db.one<{ m: number | null }>(`SELECT MIN(second_at) AS m FROM gpu_power_second
            WHERE scope_kind = ? AND scope_id = ? AND second_at >= ? AND second_at < ?`, s.scope_kind, s.scope_id, at + GPU_BLOCK_MS, cutoff)
          at = next?.m === null || next?.m === undefined ? null : blockStart(Number(next.m))
        }
      }
      return { moved, more: false }
    },

    /** Blocks wholly before `before`, at most `limit` of each table. */
    async prune (before: number, limit: number): Promise<{ deleted: number, more: boolean }> {
      const edge = before - GPU_BLOCK_MS
      const a = await db.run('DELETE FROM gpu_block WHERE ctid IN (SELECT ctid FROM gpu_block WHERE block_at <= ? LIMIT ?)', edge, limit)
      const b = await db.run('DELETE FROM gpu_power_block WHERE ctid IN (SELECT ctid FROM gpu_power_block WHERE block_at <= ? LIMIT ?)', edge, limit)
      return { deleted: a + b, more: a >= limit || b >= limit }
    },

    /** The rebuild's range: node blocks become raw rows again; power blocks go (the rebuild recomputes the seconds). */
    async thawRange (q: PgQuery, fromMs: number, toMs: number): Promise<void> {
      const blocks = await q.all<{ node_id: number, data: Uint8Array }>('DELETE FROM gpu_block WHERE block_at > ? AND block_at < ? RETURNING node_id, data',
        fromMs - GPU_BLOCK_MS, toMs)
      for (const b of blocks) {
        await q.run(`INSERT INTO gpu_stats (${COLUMNS.join(', ')}) SELECT * FROM ${UNNEST} ON CONFLICT DO NOTHING`, ...rawArrays(Number(b.node_id), decodeGpuBlock(b.data)))
      }
      const seconds = await q.all<{ scope_kind: number, scope_id: number, data: Uint8Array }>(`DELETE FROM gpu_power_block
        WHERE block_at > ? AND block_at < ? RETURNING scope_kind, scope_id, data`, fromMs - GPU_BLOCK_MS, toMs)
      // Seconds outside the rebuilt hours stay as they were: back to raw with the rest of their block.
      for (const s of seconds) await insertSeconds(q, Number(s.scope_kind), Number(s.scope_id), decodePowerBlock(s.data))
    },
  }
}
