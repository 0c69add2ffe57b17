import type { CompactResult, SampleBatch } from '../telemetry-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { batchRecordedAt, batchRows } from '../packed-samples.ts'
import { decodeGpuBlock, decodePowerBlock, encodeGpuBlock, encodePowerBlock, GPU_BLOCK_MS, type BlockRow, type SeriesPoint } from '../gpu-block-codec.ts'
import { BLOCK_WIRE_COLUMNS, blockStart } from '../sql/gpu-block-reads.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET } from '../telemetry-scope-kinds.ts'
import { createSqliteGpuHead, headMinute, headRowsSql, HEAD_MINUTE_MS } from './sqlite-gpu-head.ts'

const RAW_COLUMNS = ['node_id', 'cluster_id', 'gpu_id', 'recorded_at', ...BLOCK_WIRE_COLUMNS]
const DELETE_CHUNK = 500
const NOT_LATEST = `NOT EXISTS (SELECT 1 FROM gpu_stats_latest l WHERE l.node_id = s.node_id AND l.gpu_id = s.gpu_id AND l.recorded_at = s.recorded_at)`

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
  // The last node compacted in a span the step left half done (a hint: a thaw clears it).
  let cursor: { span: number, node: number } | null = null
  const compactedBefore = (): number => {
    if (watermark === null) {
      const a = db.stmt('SELECT MAX(block_at) AS m FROM gpu_block').get() as { m: number | null }
      const b = db.stmt('SELECT MAX(block_at) AS m FROM gpu_power_block').get() as { m: number | null }
      const m = Math.max(a.m ?? -Infinity, b.m ?? -Infinity)
      watermark = m === -Infinity ? -Infinity : m + GPU_BLOCK_MS
    }
    return watermark
  }

  const head = createSqliteGpuHead(db)
  const insertRaw = () => db.stmt(`INSERT OR IGNORE INTO gpu_stats (${RAW_COLUMNS.join(', ')}) VALUES (${RAW_COLUMNS.map(() => '?').join(', ')})`)
  const insertSecond = () => db.stmt('INSERT INTO gpu_power_second (scope_kind, scope_id, second_at, power_sum_w) VALUES (?, ?, ?, ?)')
  const deleteIds: string[] = []
  const deleteRaw = (n: number) => db.stmt(deleteIds[n] ??= `DELETE FROM gpu_stats WHERE id IN (${Array(n).fill('?').join(', ')})`)

  function thawNode (nodeId: number, lo: number, hi: number, only: ReadonlySet<number> | null): void {
    cursor = null
    const blocks = db.stmt('SELECT id, block_at, data FROM gpu_block WHERE node_id = ? AND block_at >= ? AND block_at <= ?')
      .all(nodeId, lo, hi) as Array<{ id: number, block_at: number, data: Uint8Array }>
    for (const b of blocks) {
      if (only !== null && !only.has(b.block_at)) continue
      const ids: number[] = []
      const ats: number[] = []
      for (const row of decodeGpuBlock(b.data)) {
        const r = insertRaw().run(nodeId, row.clusterId, row.gpuId, row.recordedAt, ...row.readings)
        if (Number(r.changes) !== 1) continue
        ids.push(Number(r.lastInsertRowid))
        ats.push(row.recordedAt)
      }
      head.add(nodeId, ids, ats)
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
        for (let r = 0, n = batchRows(batch); r < n; r++) {
          const at = batchRecordedAt(batch, r)
          if (at < w) (spans ??= new Set()).add(blockStart(at))
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

    /**
     * One bounded step, oldest span first. A span's raw rows move node by node in id order
     * until about `limit` rows moved (a node's count is its rows in the span, read before they
     * move: at least one node a step, the next is left for the next step when it would pass
     * `limit`); once no node has rows left in the span, its seconds (at most 300 per scope).
     * A span half done is simply what is still raw: the next step finds it first again (and
     * `cursor` skips the nodes already done). With `afterMs`, a node's rows move only from
     * spans that end by its newest row (gpu_stats_latest) minus `afterMs`: an agent whose
     * clock lags keeps its recent rows raw instead of thawing its blocks on every push.
     */
    compact (before: number, limit: number, afterMs?: number): CompactResult {
      const cutoff = blockStart(before)
      let moved = 0
      let stalled = false
      while (moved < limit) {
        const raw = (afterMs === undefined
          ? db.stmt(`SELECT s.recorded_at AS at FROM gpu_stats s WHERE s.recorded_at < ? AND ${NOT_LATEST} ORDER BY s.recorded_at LIMIT 1`).get(cutoff)
          : db.stmt(`SELECT s.recorded_at AS at FROM gpu_stats s WHERE s.recorded_at < ? AND ${NOT_LATEST} AND s.recorded_at < COALESCE(
              CAST((SELECT MAX(l.recorded_at) FROM gpu_stats_latest l WHERE l.node_id = s.node_id) - ? AS INTEGER) / ${GPU_BLOCK_MS} * ${GPU_BLOCK_MS}, ?)
            ORDER BY s.recorded_at LIMIT 1`).get(cutoff, afterMs, cutoff)) as { at: number } | undefined
        const sec = db.stmt('SELECT MIN(second_at) AS at FROM gpu_power_second WHERE second_at < ?').get(cutoff) as { at: number | null }
        const at = Math.min(raw?.at ?? Infinity, sec.at ?? Infinity)
        if (at === Infinity) return { moved, more: false }
        const span = blockStart(at)
        if (raw === undefined || blockStart(raw.at) !== span) { moved += compactSeconds(span); continue }
        const step = compactNodes(span, limit - moved, moved === 0, afterMs)
        // A pass that moved nothing (the cursor had passed a node that became due): once more
        // from the first node; a second such pass would spin, so stop.
        if (step.moved === 0 && step.done) {
          if (stalled) return { moved, more: false }
          stalled = true
        }
        moved += step.moved
        if (!step.done) return { moved, more: true }
      }
      return { moved, more: true }
    },

    /**
     * Blocks wholly before `before`, at most `limit` of each table; and the head directory's
     * entries of raw rows already pruned (one per ~80 rows: twice `limit` keeps up with the
     * caller's raw delete of 100 × `limit` rows).
     */
    prune (before: number, limit: number): { deleted: number, more: boolean } {
      const edge = before - GPU_BLOCK_MS
      const a = Number(db.stmt('DELETE FROM gpu_block WHERE id IN (SELECT id FROM gpu_block WHERE block_at <= ? LIMIT ?)').run(edge, limit).changes)
      const b = Number(db.stmt('DELETE FROM gpu_power_block WHERE id IN (SELECT id FROM gpu_power_block WHERE block_at <= ? LIMIT ?)').run(edge, limit).changes)
      const dir = head.prune(before, 2 * limit)
      return { deleted: a + b, more: a >= limit || b >= limit || dir.more }
    },
  }

  /**
   * The span's nodes after `cursor`, in id order, until `budget` rows (`first`: the step's
   * first node goes whatever its count). The next node is a seek per minute of the span in the
   * head directory (sqlite-gpu-head.ts), its rows the rowid ranges its entries name, so a step
   * costs its own nodes' rows, not a walk of the fleet's span. A node whose rows would pass the
   * budget is left for the next step (its rows read again then). done: no node is left with
   * rows in the span.
   */
  function compactNodes (span: number, budget: number, first: boolean, afterMs: number | undefined): { moved: number, done: boolean } {
    const end = span + GPU_BLOCK_MS
    let node = cursor !== null && cursor.span === span ? cursor.node : -1
    let moved = 0
    let picked = 0
    for (;;) {
      const next = nextNode(span, node)
      if (next === null) {
        cursor = null
        return { moved, done: true }
      }
      if (end > nodeEnd(next, afterMs)) { node = next; continue }
      const rows = spanRows(next, span, end)
      if (rows.length > 0) {
        if (moved + rows.length > budget && !(first && picked === 0)) {
          cursor = { span, node }
          return { moved, done: false }
        }
        moved += compactNode(next, span, rows)
        picked++
      }
      head.forgetEmpty(next, span, end)
      node = next
    }
  }

  /** The lowest node above `after` with a directory entry in the span (a MIN seek per minute). */
  function nextNode (span: number, after: number): number | null {
    const minutes = Array.from({ length: GPU_BLOCK_MS / HEAD_MINUTE_MS }, (_, i) => span + i * HEAD_MINUTE_MS)
    const row = db.stmt(`SELECT MIN(n) AS n FROM (${minutes.map(() => 'SELECT MIN(node_id) AS n FROM gpu_stats_dir WHERE minute_at = ? AND node_id > ?').join(' UNION ALL ')})`)
      .get(...minutes.flatMap(m => [m, after])) as { n: number | null }
    return row.n ?? null
  }

  /** A node's raw rows of the span but its GPUs' latest (which stay raw), through the directory. */
  function spanRows (node: number, span: number, end: number): Array<Record<string, number | null>> {
    const latest = new Set((db.stmt('SELECT gpu_id, recorded_at FROM gpu_stats_latest WHERE node_id = ? AND recorded_at >= ? AND recorded_at < ?')
      .all(node, span, end) as Array<{ gpu_id: number, recorded_at: number }>).map(l => `${l.gpu_id}:${l.recorded_at}`))
    const rows = db.stmt(headRowsSql(RAW_COLUMNS.map(c => `s.${c}`).join(', '), '1', '?4')).all(span, end, node, headMinute(span)) as Array<Record<string, number | null>>
    return latest.size === 0 ? rows : rows.filter(r => !latest.has(`${r.gpu_id}:${r.recorded_at}`))
  }

  /** Where a node's compactable time ends: its newest row minus `afterMs`, down to a span. */
  function nodeEnd (node: number, afterMs: number | undefined): number {
    if (afterMs === undefined) return Infinity
    const newest = db.stmt('SELECT MAX(recorded_at) AS m FROM gpu_stats_latest WHERE node_id = ?').get(node) as { m: number | null }
    return newest.m === null ? Infinity : Math.trunc((newest.m - afterMs) / GPU_BLOCK_MS) * GPU_BLOCK_MS
  }

  /** One node's rows of a span into its block, merged with any there; the rows moved. */
  function compactNode (node: number, at: number, rows: ReadonlyArray<Record<string, number | null>>): number {
    const list: BlockRow[] = rows.map(r => ({ gpuId: r.gpu_id!, recordedAt: r.recorded_at!, clusterId: r.cluster_id ?? null, readings: BLOCK_WIRE_COLUMNS.map(c => r[c] ?? null) }))
    const old = db.stmt('SELECT data FROM gpu_block WHERE node_id = ? AND block_at = ?').get(node, at) as { data: Uint8Array } | undefined
    const merged = old === undefined ? list : [...list, ...decodeGpuBlock(old.data)]
    db.stmt(`INSERT INTO gpu_block (node_id, block_at, row_count, data) VALUES (?, ?, ?, ?)
      ON CONFLICT (node_id, block_at) DO UPDATE SET row_count = excluded.row_count, data = excluded.data`)
      .run(node, at, merged.length, encodeGpuBlock(at, BLOCK_WIRE_COLUMNS.length, merged))
    const ids = rows.map(r => r.id!)
    for (let i = 0; i < ids.length; i += DELETE_CHUNK) {
      const chunk = ids.slice(i, i + DELETE_CHUNK)
      deleteRaw(chunk.length).run(...chunk)
    }
    watermark = Math.max(compactedBefore(), at + GPU_BLOCK_MS)
    return ids.length
  }

  /** Every scope's seconds of one span into its block, merged with any there. */
  function compactSeconds (at: number): number {
    const end = at + GPU_BLOCK_MS
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
    return seconds.length
  }
}

export type SqliteGpuBlocks = ReturnType<typeof createSqliteGpuBlocks>
