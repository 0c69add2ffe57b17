import type { JobLogRepository, LogRead } from '../job-log-repository.ts'
import type { SqlDb, SqlQuery } from '../sql-db.ts'
import { jobLogLock } from '../store-locks.ts'

/**
 * Uploads smaller than this are appended to the run's newest piece instead of becoming a row
 * of their own: an agent flushing a line a second would otherwise write 86,400 rows a day.
 */
export const MERGE_PIECE_BYTES = 64 * 1024

interface PieceRow { run: number, byte_offset: number, size: number }

// node:sqlite answers a BLOB as a Uint8Array, pg a BYTEA as a Buffer.
const asBuffer = (v: unknown): Buffer => Buffer.isBuffer(v) ? v : Buffer.from((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength)

export function createSqlJobLogRepository (db: SqlDb): JobLogRepository {
  return {
    async append (input, retainBytes) {
      const { jobId, run, offset, at } = input
      return db.tx(jobLogLock(jobId), async q => {
        const state = await q.one<{ held_bytes: number }>('SELECT held_bytes FROM job_log_runs WHERE job_id = ? AND run = ?', jobId, run)
        const held = state === undefined ? 0 : Number(state.held_bytes)
        if (offset > held) return { ok: false as const, held }
        const skip = held - offset
        if (skip >= input.bytes.length) return { ok: true as const, held }
        const rest = Buffer.from(input.bytes.buffer, input.bytes.byteOffset + skip, input.bytes.byteLength - skip)
        if (state === undefined) {
          await q.run('INSERT INTO job_log_runs (job_id, run, held_bytes, dropped_bytes, updated_at) VALUES (?, ?, 0, 0, ?)', jobId, run, at)
        }
        const last = await q.one<{ byte_offset: number, size: number, bytes: unknown }>(
          'SELECT byte_offset, size, bytes FROM job_log_chunks WHERE job_id = ? AND run = ? ORDER BY byte_offset DESC LIMIT 1', jobId, run)
        if (last !== undefined && Number(last.size) + rest.length <= MERGE_PIECE_BYTES) {
          await q.run('UPDATE job_log_chunks SET size = ?, bytes = ? WHERE job_id = ? AND run = ? AND byte_offset = ?',
            Number(last.size) + rest.length, Buffer.concat([asBuffer(last.bytes), rest]), jobId, run, Number(last.byte_offset))
        } else {
          await q.run('INSERT INTO job_log_chunks (job_id, run, byte_offset, size, bytes) VALUES (?, ?, ?, ?, ?)', jobId, run, held, rest.length, rest)
        }
        const now = held + rest.length
        await q.run('UPDATE job_log_runs SET held_bytes = ?, updated_at = ? WHERE job_id = ? AND run = ?', now, at, jobId, run)
        await trim(q, jobId, retainBytes)
        return { ok: true as const, held: now }
      })
    },

    async latestRun (jobId) {
      const r = await db.one<{ run: number | null }>('SELECT MAX(run) AS run FROM job_log_runs WHERE job_id = ?', jobId)
      return r?.run === null || r?.run === undefined ? null : Number(r.run)
    },

    async read (jobId, run, from = 0) {
      const state = await db.one<{ held_bytes: number, dropped_bytes: number }>(
        'SELECT held_bytes, dropped_bytes FROM job_log_runs WHERE job_id = ? AND run = ?', jobId, run)
      if (state === undefined) return null
      const dropped = Number(state.dropped_bytes)
      const start = Math.max(from, dropped)
      const pieces = await db.all<{ byte_offset: number, bytes: unknown }>(
        'SELECT byte_offset, bytes FROM job_log_chunks WHERE job_id = ? AND run = ? AND byte_offset + size > ? ORDER BY byte_offset', jobId, run, start)
      if (pieces.length === 0) {
        const held = Number(state.held_bytes)
        return { run, dropped, held, from: Math.min(start, held), bytes: Buffer.alloc(0) }
      }
      // Read outside a transaction: an append or a trim between the two reads moves the edges,
      // so both come from the pieces themselves.
      const first = Number(pieces[0]!.byte_offset)
      const begin = Math.max(start, first)
      const bytes = Buffer.concat(pieces.map(p => asBuffer(p.bytes))).subarray(begin - first)
      const out: LogRead = { run, dropped: first > start ? Math.max(dropped, first) : dropped, held: begin + bytes.length, from: begin, bytes }
      return out
    },
  }
}

/** Drops the job's oldest whole pieces (oldest run first) while it keeps more than `retainBytes`; never the newest. */
async function trim (q: SqlQuery, jobId: number, retainBytes: number): Promise<void> {
  const total = await q.one<{ total: number | null }>('SELECT SUM(size) AS total FROM job_log_chunks WHERE job_id = ?', jobId)
  let kept = Number(total?.total ?? 0)
  if (kept <= retainBytes) return
  const pieces = await q.all<PieceRow>('SELECT run, byte_offset, size FROM job_log_chunks WHERE job_id = ? ORDER BY run, byte_offset', jobId)
  const droppedTo = new Map<number, number>()
  for (const p of pieces.slice(0, -1)) {
    if (kept <= retainBytes) break
    const run = Number(p.run)
    await q.run('DELETE FROM job_log_chunks WHERE job_id = ? AND run = ? AND byte_offset = ?', jobId, run, Number(p.byte_offset))
    kept -= Number(p.size)
    droppedTo.set(run, Number(p.byte_offset) + Number(p.size))
  }
  for (const [run, to] of droppedTo) await q.run('UPDATE job_log_runs SET dropped_bytes = ? WHERE job_id = ? AND run = ?', to, jobId, run)
}
