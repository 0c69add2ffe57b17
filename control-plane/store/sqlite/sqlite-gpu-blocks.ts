import type { CompactResult, SampleBatch } from '../telemetry-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { decodeGpuBlock, decodePowerBlock, encodeGpuBlock, encodePowerBlock, GPU_BLOCK_MS, type BlockRow, type SeriesPoint } from '../gpu-block-codec.ts'
import { BLOCK_WIRE_COLUMNS, blockStart } from '../sql/gpu-block-reads.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET } from '../telemetry-scope-kinds.ts'

const RAW_COLUMNS = ['node_id', 'cluster_id', 'gpu_id', 'recorded_at', ...BLOCK_WIRE_COLUMNS]
const DELETE_CHUNK = 500

/**
 * SQLite's side of compressed raw telemetry (telemetry migration 5): compaction moves settled
 * raw rows and per-second sums into blocks, a late write thaws the blocks it lands in back
 * into raw rows first, so ingest's dedup, ticks, sums and MAX recompute see exactly what they
 * would have without compaction. Everything runs inside the caller's write transaction.
 *
 * `compactedBefore` is cached: only this connection writes blocks, it only ever rises, and a
 * value too high only costs a probe. Ingest skips the probe for a batch whose oldest row is at
 * or after it: the normal path pays no statement.
 */
export function createSqliteGpuBlocks (db: SqliteDb) {
  let watermark: number | null = null
  const compactedBefore = (): number => {
    if (watermark === null) {
      const a = db.stmt('SELECT MAX(block_at) AS m FROM gpu_block').get() as { m: number | null }
      const b = db.stmt('SELECT MAX(block_at) AS m FROM gpu_power_block').get() as { m: number | null }
      const m = Math.max(a.m ?? -Infinity, b.m ?? -Infinity)
      watermark = m === -Infinity ? -Infinity : m + GPU_BLOCK_MS
    }
    return watermark
  }

  const insertRaw = () => db.stmt(`INSERT OR IGNORE INTO gpu_stats (${RAW_COLUMNS.join(', ')}) VALUES (${RAW_COLUMNS.map(() => '?').join(', ')})`)
  const insertSecond = () => db.stmt('INSERT INTO gpu_power_second (scope_kind, scope_id, second_at, power_sum_w) VALUES (?, ?, ?, ?)')
  const deleteIds: string[] = []
  const deleteRaw = (n: number) => db.stmt(deleteIds[n] ??= `DELETE FROM gpu_stats WHERE id IN (${Array(n).fill('?').join(', ')})`)

  function thawNode (nodeId: number, lo: number, hi: number, only: ReadonlySet<number> | null): void {
    const blocks = db.stmt('SELECT id, block_at, data FROM gpu_block WHERE node_id = ? AND block_at >= ? AND block_at <= ?')
      .all(nodeId, lo, hi) as Array<{ id: number, block_at: number, data: Uint8Array }>
    for (const b of blocks) {
      if (only !== null && !only.has(b.block_at)) continue
      for (const row of decodeGpuBlock(b.data)) insertRaw().run(nodeId, row.clusterId, row.gpuId, row.recordedAt, ...row.readings)
      db.stmt('DELETE FROM gpu_block WHERE id = ?').run(b.id)
    }
  }

  function thawPower (kind: number, id: number, lo: number, hi: number, only: ReadonlySet<number> | null): void {
    const blocks = db.stmt('SELECT id, block_at, data FROM gpu_power_block WHERE scope_kind = ? AND scope_id = ? AND block_at >= ? AND block_at <= ?')
      .all(kind, id, lo, hi) as Array<{ id: number, block_at: number, data: Uint8Array }>
    for (const b of blocks) {
      if (only !== null && !only.has(b.block_at)) continue
      for (const p of decodePowerBlock(b.data)) insertSecond().run(kind, id, p.at, p.value)
      db.stmt('DELETE FROM gpu_power_block WHERE id = ?').run(b.id)
    }
  }

  return {
    compactedBefore,

    /** Before a group commit's writes: the blocks its batches' rows (and their wide seconds) land in become raw rows again. */
    thawForBatches (batches: readonly SampleBatch[]): void {
      const w = compactedBefore()
      if (w === -Infinity) return
      for (const batch of batches) {
        let spans: Set<number> | null = null
        for (const s of batch.samples) {
          if (s.recordedAt < w) (spans ??= new Set()).add(blockStart(s.recordedAt))
        }
        if (spans === null) continue
        const lo = Math.min(...spans)
        const hi = Math.max(...spans)
        thawNode(batch.nodeId, lo, hi, spans)
        thawPower(SCOPE_FLEET, 0, lo, hi, spans)
        if (batch.clusterId !== null) thawPower(SCOPE_CLUSTER, batch.clusterId, lo, hi, spans)
      }
    },

    /** Every block holding times in [fromMs, toMs) becomes raw rows again (the rollup rebuild). */
    thawRange (fromMs: number, toMs: number): void {
      const nodes = db.stmt('SELECT DISTINCT node_id FROM gpu_block WHERE block_at > ? AND block_at < ?').all(fromMs - GPU_BLOCK_MS, toMs) as Array<{ node_id: number }>
      for (const { node_id: node } of nodes) thawNode(node, fromMs - GPU_BLOCK_MS + 1, toMs - 1, null)
      const scopes = db.stmt('SELECT DISTINCT scope_kind, scope_id FROM gpu_power_block WHERE block_at > ? AND block_at < ?')
        .all(fromMs - GPU_BLOCK_MS, toMs) as Array<{ scope_kind: number, scope_id: number }>
      for (const s of scopes) thawPower(s.scope_kind, s.scope_id, fromMs - GPU_BLOCK_MS + 1, toMs - 1, null)
    },

    /** One bounded step: whole spans before `before`, oldest first, until about `limit` rows moved. */
    compact (before: number, limit: number): CompactResult {
      const cutoff = blockStart(before)
      let moved = 0
      while (moved < limit) {
        const raw = db.stmt(`SELECT s.recorded_at AS at FROM gpu_stats s WHERE s.recorded_at < ? AND NOT EXISTS (
            SELECT 1 FROM gpu_stats_latest l WHERE l.node_id = s.node_id AND l.gpu_id = s.gpu_id AND l.recorded_at = s.recorded_at)
          ORDER BY s.recorded_at LIMIT 1`).get(cutoff) as { at: number } | undefined
        const sec = db.stmt('SELECT MIN(second_at) AS at FROM gpu_power_second WHERE second_at < ?').get(cutoff) as { at: number | null }
        const at = Math.min(raw?.at ?? Infinity, sec.at ?? Infinity)
        if (at === Infinity) return { moved, more: false }
        moved += compactSpan(blockStart(at))
      }
      return { moved, more: true }
    },

    /** Blocks wholly before `before`, at most `limit` of each table. */
    prune (before: number, limit: number): { deleted: number, more: boolean } {
      const edge = before - GPU_BLOCK_MS
      const a = Number(db.stmt('DELETE FROM gpu_block WHERE id IN (SELECT id FROM gpu_block WHERE block_at <= ? LIMIT ?)').run(edge, limit).changes)
      const b = Number(db.stmt('DELETE FROM gpu_power_block WHERE id IN (SELECT id FROM gpu_power_block WHERE block_at <= ? LIMIT ?)').run(edge, limit).changes)
      return { deleted: a + b, more: a >= limit || b >= limit }
    },
  }

  /** One span of every node and scope: its raw rows (but what latest names) and seconds into blocks, merged with any there. */
  function compactSpan (at: number): number {
    const end = at + GPU_BLOCK_MS
    const latest = new Set((db.stmt('SELECT node_id, gpu_id, recorded_at FROM gpu_stats_latest WHERE recorded_at >= ? AND recorded_at < ?')
      .all(at, end) as Array<{ node_id: number, gpu_id: number, recorded_at: number }>).map(l => `${l.node_id}:${l.gpu_id}:${l.recorded_at}`))
    const rows = db.stmt(`SELECT id, ${RAW_COLUMNS.join(', ')} FROM gpu_stats WHERE recorded_at >= ? AND recorded_at < ?`)
      .all(at, end) as Array<Record<string, number | null>>
    const byNode = new Map<number, BlockRow[]>()
    const ids: number[] = []
    for (const r of rows) {
      const node = r.node_id!
      if (latest.has(`${node}:${r.gpu_id}:${r.recorded_at}`)) continue
      let list = byNode.get(node)
      if (list === undefined) byNode.set(node, list = [])
      list.push({ gpuId: r.gpu_id!, recordedAt: r.recorded_at!, clusterId: r.cluster_id ?? null, readings: BLOCK_WIRE_COLUMNS.map(c => r[c] ?? null) })
      ids.push(r.id!)
    }
    for (const [node, list] of byNode) {
      const old = db.stmt('SELECT data FROM gpu_block WHERE node_id = ? AND block_at = ?').get(node, at) as { data: Uint8Array } | undefined
      const merged = old === undefined ? list : [...list, ...decodeGpuBlock(old.data)]
      db.stmt(`INSERT INTO gpu_block (node_id, block_at, row_count, data) VALUES (?, ?, ?, ?)
        ON CONFLICT (node_id, block_at) DO UPDATE SET row_count = excluded.row_count, data = excluded.data`)
        .run(node, at, merged.length, encodeGpuBlock(at, BLOCK_WIRE_COLUMNS.length, merged))
    }
    for (let i = 0; i < ids.length; i += DELETE_CHUNK) {
      const chunk = ids.slice(i, i + DELETE_CHUNK)
      deleteRaw(chunk.length).run(...chunk)
    }

    const seconds = db.stmt('SELECT scope_kind, scope_id, second_at, power_sum_w FROM gpu_power_second WHERE second_at >= ? AND second_at < ?')
      .all(at, end) as Array<{ scope_kind: number, scope_id: number, second_at: number, power_sum_w: number }>
    const byScope = new Map<string, { kind: number, id: number, points: SeriesPoint[] }>()
    for (const s of seconds) {
      const key = `${s.scope_kind}:${s.scope_id}`
      let scope = byScope.get(key)
      if (scope === undefined) byScope.set(key, scope = { kind: s.scope_kind, id: s.scope_id, points: [] })
      scope.points.push({ at: s.second_at, value: s.power_sum_w })
    }
    for (const { kind, id, points } of byScope.values()) {
      const old = db.stmt('SELECT data FROM gpu_power_block WHERE scope_kind = ? AND scope_id = ? AND block_at = ?').get(kind, id, at) as { data: Uint8Array } | undefined
      const merged = old === undefined ? points : [...points, ...decodePowerBlock(old.data)]
      db.stmt(`INSERT INTO gpu_power_block (scope_kind, scope_id, block_at, data) VALUES (?, ?, ?, ?)
        ON CONFLICT (scope_kind, scope_id, block_at) DO UPDATE SET data = excluded.data`).run(kind, id, at, encodePowerBlock(at, merged))
    }
    db.stmt('DELETE FROM gpu_power_second WHERE second_at >= ? AND second_at < ?').run(at, end)
    watermark = Math.max(compactedBefore(), end)
    return ids.length + seconds.length
  }
}

export type SqliteGpuBlocks = ReturnType<typeof createSqliteGpuBlocks>
