import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { GpuStatRow } from '../../shared/wire/gpu-stats.ts'

/**
 * The uplink's bounded on-disk queue: samples the control plane has not acknowledged.
 *
 * Layout: `<dir>/seg-<seq>.ndjson`, append-only, one record per line (`{"rows":[…]}`, the
 * rows of one or more ticks). A segment is also the replay unit: it is capped at
 * `segmentMaxRows` / `segmentMaxBytes`, so one segment is one bounded request, and it leaves
 * the disk (unlink) only after the control plane acknowledged it. No cursor file is needed,
 * and a crash between the 2xx and the unlink just re-sends rows the server stores once.
 *
 * Durability: every append is fsync'ed (datasync) before it resolves. The spool is written
 * only while upstream fails, at ~1 record/s, so the cost is nothing next to losing the
 * outage's data to a power cut. A new segment's directory entry is fsync'ed once.
 *
 * Full: the oldest segments are unlinked first and their rows counted as dropped; the
 * segment being replayed right now is spared while any other can go (it may be about to
 * be acknowledged). When it is the only one left it goes too, counted as dropped until its
 * request ends: acknowledged, its rows were delivered after all and are un-counted. A torn last line (crash mid-write) is skipped and counted, never fatal;
 * segments found at open are never appended to again, so a torn tail can't glue onto a new record.
 */
export interface SpoolOptions {
  dir: string
  maxBytes: number
  /** Rows per segment, i.e. per replay request. */
  segmentMaxRows?: number
  /** Bytes per segment; default min(1 MiB, maxBytes / 16) so dropping one is a small loss. */
  segmentMaxBytes?: number
  /** Turn off only in benchmarks of the spool itself. */
  fsync?: boolean
}

export interface SpoolBatch {
  readonly id: number
  readonly rows: GpuStatRow[]
}

export interface SpoolStats {
  bytes: number
  samples: number
  /** Rows dropped because the spool was full. */
  dropped: number
  /** Unreadable lines (a torn write after a crash) that were skipped. */
  corrupt: number
  segments: number
}

export interface Spool {
  append: (rows: readonly GpuStatRow[]) => Promise<void>
  /** Oldest batch, held until ack() or release(); null when the spool is empty. */
  peek: () => Promise<SpoolBatch | null>
  ack: (batch: SpoolBatch) => Promise<void>
  release: (batch: SpoolBatch) => void
  stats: () => SpoolStats
  close: () => Promise<void>
}

interface Segment {
  seq: number
  path: string
  bytes: number
  rows: number
  fh: FileHandle | null
  held: boolean
  /** Corrupt lines already counted (at open) so peek doesn't count them again. */
  scanned: boolean
}

const SEGMENT_RE = /^seg-(\d{12})\.ndjson$/
const MIB = 1024 * 1024

export async function openSpool (options: SpoolOptions): Promise<Spool> {
  const { dir, maxBytes, segmentMaxRows = 1000, fsync = true } = options
  if (!(Number.isInteger(maxBytes) && maxBytes >= 4096)) throw new RangeError('spool maxBytes must be an integer >= 4096')
  if (!(Number.isInteger(segmentMaxRows) && segmentMaxRows >= 1)) throw new RangeError('spool segmentMaxRows must be an integer >= 1')
  const segmentMaxBytes = options.segmentMaxBytes ?? Math.min(MIB, Math.floor(maxBytes / 16))
  if (!(segmentMaxBytes >= 256 && segmentMaxBytes <= maxBytes)) throw new RangeError('spool segmentMaxBytes must be in [256, maxBytes]')

  await mkdir(dir, { recursive: true })
  const segments: Segment[] = []
  let dropped = 0
  // Held segments dropped while their request was in flight: seq → rows counted as dropped.
  const droppedWhileHeld = new Map<number, number>()
  let corrupt = 0
  let nextSeq = 1
  let closed = false

  for (const name of (await readdir(dir)).sort()) {
    const m = SEGMENT_RE.exec(name)
    if (m === null) continue
    const seg: Segment = { seq: Number(m[1]), path: join(dir, name), bytes: 0, rows: 0, fh: null, held: false, scanned: true }
    nextSeq = Math.max(nextSeq, seg.seq + 1)
    const text = await readFile(seg.path, 'utf8')
    const parsed = parseSegment(text)
    corrupt += parsed.corrupt
    if (parsed.rows.length === 0) { await unlink(seg.path); continue }
    seg.bytes = Buffer.byteLength(text)
    seg.rows = parsed.rows.length
    segments.push(seg)
  }

  // One operation at a time: appends, peeks and acks all move the same segment list.
  let chain: Promise<unknown> = Promise.resolve()
  function serial<T> (fn: () => Promise<T>): Promise<T> {
    const p = chain.then(() => {
      if (closed) throw new Error('spool is closed')
      return fn()
    })
    chain = p.catch(() => {})
    return p
  }

  const totalBytes = (): number => segments.reduce((n, s) => n + s.bytes, 0)
  const active = (): Segment | undefined => segments.at(-1)?.fh ? segments.at(-1) : undefined

  async function seal (seg: Segment): Promise<void> {
    const fh = seg.fh
    seg.fh = null
    await fh?.close()
  }

  async function remove (seg: Segment): Promise<void> {
    await seal(seg)
    segments.splice(segments.indexOf(seg), 1)
    await unlink(seg.path).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
  }

  async function makeRoom (need: number): Promise<void> {
    while (segments.length > 0 && totalBytes() + need > maxBytes) {
      const victim = segments.find(s => !s.held) ?? segments[0]!
      dropped += victim.rows
      if (victim.held) droppedWhileHeld.set(victim.seq, victim.rows)
      await remove(victim)
    }
  }

  async function activeFor (bytes: number, rows: number): Promise<Segment> {
    const current = active()
    if (current && current.bytes + bytes <= segmentMaxBytes && current.rows + rows <= segmentMaxRows) return current
    if (current) await seal(current)
    const seq = nextSeq++
    const path = join(dir, `seg-${String(seq).padStart(12, '0')}.ndjson`)
    const seg: Segment = { seq, path, bytes: 0, rows: 0, fh: await open(path, 'a'), held: false, scanned: false }
    segments.push(seg)
    if (fsync) await syncDir(dir)
    return seg
  }

  async function appendRecords (rows: readonly GpuStatRow[]): Promise<void> {
    const touched = new Set<Segment>()
    for (const record of toRecords(rows, segmentMaxRows, segmentMaxBytes)) {
      await makeRoom(record.bytes.length)
      const seg = await activeFor(record.bytes.length, record.rows)
      try {
        await seg.fh!.write(record.bytes)
      } catch (err) {
        // A short write may have left half a line: never append after it.
        await seal(seg)
        throw err
      }
      seg.bytes += record.bytes.length
      seg.rows += record.rows
      touched.add(seg)
    }
    if (fsync) for (const seg of touched) await seg.fh?.datasync()
  }

  return {
    append: rows => rows.length === 0 ? Promise.resolve() : serial(() => appendRecords(rows)),

    peek: () => serial(async () => {
      while (segments.length > 0) {
        const seg = segments[0]!
        // The oldest segment may still be the one being appended to: close it so the batch
        // sent is exactly what will be unlinked on ack.
        if (seg.fh) await seal(seg)
        const parsed = parseSegment(await readFile(seg.path, 'utf8').catch(() => ''))
        if (!seg.scanned) { corrupt += parsed.corrupt; seg.scanned = true }
        if (parsed.rows.length === 0) { await remove(seg); continue }
        seg.held = true
        return { id: seg.seq, rows: parsed.rows }
      }
      return null
    }),

    ack: batch => serial(async () => {
      const seg = segments.find(s => s.seq === batch.id)
      if (seg) await remove(seg)
      // Dropped for room while in flight, yet acknowledged: delivered, not lost.
      const rows = droppedWhileHeld.get(batch.id)
      if (rows !== undefined) { dropped -= rows; droppedWhileHeld.delete(batch.id) }
    }),

    release (batch) {
      const seg = segments.find(s => s.seq === batch.id)
      if (seg) seg.held = false
      // Not acknowledged: if it was dropped meanwhile, those rows are lost and stay counted.
      droppedWhileHeld.delete(batch.id)
    },

    stats: () => ({
      bytes: totalBytes(),
      samples: segments.reduce((n, s) => n + s.rows, 0),
      dropped,
      corrupt,
      segments: segments.length,
    }),

    close: async () => {
      await serial(async () => {
        const seg = active()
        if (seg) {
          if (fsync) await seg.fh!.datasync()
          await seal(seg)
        }
        closed = true
      }).catch(() => {})
    },
  }
}

/** Splits rows into records (lines) that each fit one segment. */
function toRecords (rows: readonly GpuStatRow[], maxRows: number, maxBytes: number): Array<{ bytes: Buffer, rows: number }> {
  const overhead = Buffer.byteLength('{"rows":[]}\n')
  const records: Array<{ bytes: Buffer, rows: number }> = []
  let parts: string[] = []
  let size = overhead
  const flush = (): void => {
    if (parts.length === 0) return
    records.push({ bytes: Buffer.from(`{"rows":[${parts.join(',')}]}\n`), rows: parts.length })
    parts = []
    size = overhead
  }
  for (const row of rows) {
    const json = JSON.stringify(row)
    const len = Buffer.byteLength(json)
    if (parts.length > 0 && (parts.length >= maxRows || size + 1 + len > maxBytes)) flush()
    size += len + (parts.length > 0 ? 1 : 0)
    parts.push(json)
  }
  flush()
  return records
}

function parseSegment (text: string): { rows: GpuStatRow[], corrupt: number } {
  const rows: GpuStatRow[] = []
  let corrupt = 0
  for (const line of text.split('\n')) {
    if (line === '') continue
    try {
      const record = JSON.parse(line) as { rows?: unknown }
      if (!Array.isArray(record.rows)) throw new Error('no rows')
      rows.push(...(record.rows as GpuStatRow[]))
    } catch {
      corrupt++
    }
  }
  return { rows, corrupt }
}

async function syncDir (dir: string): Promise<void> {
  // Makes a new segment's name durable; some filesystems refuse fsync on a directory.
  const fh = await open(dir, 'r').catch(() => null)
  if (fh === null) return
  await fh.sync().catch(() => {})
  await fh.close()
}
