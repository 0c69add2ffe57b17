import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib'

/**
 * Compressed raw telemetry: the rows of one node-minute ↔ bytes, engine-neutral and pure.
 * Lossless for every stored column: any finite or infinite double, -0 and null survive.
 *
 * Layout before zstd, GPU-major so one GPU's column decodes without the others':
 *   version, base (the block's minute), column count, GPU count, then per GPU
 *   gpu_id, row count, section length, and its section: the timestamps (delta of delta from
 *   base), cluster_id, then one column per reading, each prefixed with its byte length.
 * A column is all-null, scaled integers (v × 10^e is a safe integer and k / 10^e gives v back
 * exactly) stored as zigzag varint deltas, or raw float64 where no scale is exact (NaN, -0,
 * full-precision doubles). Nulls are a bitmap. Varints are built with arithmetic, not bit
 * operators, so deltas up to 2^53 survive.
 */
export interface BlockRow {
  gpuId: number
  recordedAt: number
  clusterId: number | null
  /** One per stored reading column, in the order the caller fixes (shared/gpu-fields.ts). */
  readings: Array<number | null>
}

/**
 * A block holds one node's rows of this span (UTC-aligned), a power block one scope's seconds.
 * Five minutes, not one: a one-minute block of 8 GPUs (~2.5 KB) fills a 4 KiB SQLite page
 * alone, and zstd amortizes its tables over more rows (measured: 5.3 B/row at one minute,
 * 2.5 B at five, 2.0 B at ten, before page overhead); a late row thaws at most 2,400 rows.
 */
export const GPU_BLOCK_MS = 5 * 60_000

export interface SeriesPoint { at: number, value: number | null }

const VERSION = 1
const MODE_NULL = 0
const MODE_SCALED = 1
const MODE_FLOAT = 2
const HAS_NULLS = 4
const MAX_SCALE = 4
const MAX_K = 2 ** 50
const ZSTD_LEVEL = 9

class Writer {
  buf = new Uint8Array(4096)
  len = 0
  private room (n: number): void {
    if (this.len + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }

  byte (b: number): void { this.room(1); this.buf[this.len++] = b }
  /** Unsigned, up to 2^53. */
  uvar (n: number): void {
    this.room(8)
    while (n >= 128) { this.buf[this.len++] = (n % 128) + 128; n = Math.floor(n / 128) }
    this.buf[this.len++] = n
  }

  svar (n: number): void { this.uvar(n < 0 ? -2 * n - 1 : 2 * n) }
  f64 (v: number): void {
    this.room(8)
    new DataView(this.buf.buffer).setFloat64(this.len, v, true)
    this.len += 8
  }

  bytes (b: Uint8Array): void { this.room(b.length); this.buf.set(b, this.len); this.len += b.length }
  done (): Uint8Array { return this.buf.subarray(0, this.len) }
}

class Reader {
  pos = 0
  readonly buf: Uint8Array
  private readonly view: DataView
  constructor (buf: Uint8Array) {
    this.buf = buf
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }
  byte (): number {
    if (this.pos >= this.buf.length) throw new RangeError('gpu block: truncated')
    return this.buf[this.pos++]!
  }

  uvar (): number {
    let n = 0
    let mul = 1
    for (;;) {
      const b = this.byte()
      n += (b % 128) * mul
      if (b < 128) return n
      mul *= 128
    }
  }

  svar (): number { const z = this.uvar(); return z % 2 === 0 ? z / 2 : -(z + 1) / 2 }
  f64 (): number {
    if (this.pos + 8 > this.buf.length) throw new RangeError('gpu block: truncated')
    const v = this.view.getFloat64(this.pos, true)
    this.pos += 8
    return v
  }
}

/** The smallest e with every value v = k / 10^e for a safe k, or -1. */
function scaleOf (values: readonly number[]): number {
  for (let e = 0; e <= MAX_SCALE; e++) {
    const s = 10 ** e
    let ok = true
    for (const v of values) {
      const k = Math.round(v * s)
      if (!(Math.abs(k) <= MAX_K) || k / s !== v || Object.is(v, -0)) { ok = false; break }
    }
    if (ok) return e
  }
  return -1
}

function writeColumn (w: Writer, column: ReadonlyArray<number | null>): void {
  const present: number[] = []
  for (const v of column) if (v !== null) present.push(v)
  if (present.length === 0) { w.byte(MODE_NULL); return }
  const e = scaleOf(present)
  const nulls = present.length < column.length
  w.byte((e < 0 ? MODE_FLOAT : MODE_SCALED) | (nulls ? HAS_NULLS : 0))
  if (nulls) {
    for (let i = 0; i < column.length; i += 8) {
      let b = 0
      for (let j = 0; j < 8 && i + j < column.length; j++) if (column[i + j] === null) b |= 1 << j
      w.byte(b)
    }
  }
  if (e < 0) { for (const v of present) w.f64(v); return }
  w.byte(e)
  const s = 10 ** e
  let prev = 0
  for (const v of present) {
    const k = Math.round(v * s)
    w.svar(k - prev)
    prev = k
  }
}

function readColumn (r: Reader, n: number): Array<number | null> {
  const mode = r.byte()
  const out: Array<number | null> = new Array(n).fill(null)
  if (mode === MODE_NULL) return out
  const isNull: boolean[] = new Array(n).fill(false)
  if ((mode & HAS_NULLS) !== 0) {
    for (let i = 0; i < n; i += 8) {
      const b = r.byte()
      for (let j = 0; j < 8 && i + j < n; j++) isNull[i + j] = (b & (1 << j)) !== 0
    }
  }
  if ((mode & 3) === MODE_FLOAT) {
    for (let i = 0; i < n; i++) if (!isNull[i]) out[i] = r.f64()
    return out
  }
  if ((mode & 3) !== MODE_SCALED) throw new RangeError(`gpu block: bad column mode ${mode}`)
  const s = 10 ** r.byte()
  let k = 0
  for (let i = 0; i < n; i++) {
    if (isNull[i]) continue
    k += r.svar()
    out[i] = k / s
  }
  return out
}

function writeSized (w: Writer, write: (inner: Writer) => void): void {
  const inner = new Writer()
  write(inner)
  const b = inner.done()
  w.uvar(b.length)
  w.bytes(b)
}

function compress (raw: Uint8Array): Uint8Array {
  return zstdCompressSync(raw, { params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } })
}

function decompress (data: Uint8Array): Uint8Array {
  return zstdDecompressSync(data)
}

/** Encodes rows of one block (any order; (gpuId, recordedAt) unique) against `baseMs`. */
export function encodeGpuBlock (baseMs: number, columns: number, rows: readonly BlockRow[]): Uint8Array {
  const byGpu = new Map<number, BlockRow[]>()
  for (const row of rows) {
    if (row.readings.length !== columns) throw new RangeError(`gpu block: ${row.readings.length} readings, want ${columns}`)
    let list = byGpu.get(row.gpuId)
    if (list === undefined) byGpu.set(row.gpuId, list = [])
    list.push(row)
  }
  const w = new Writer()
  w.byte(VERSION)
  w.uvar(baseMs)
  w.uvar(columns)
  w.uvar(byGpu.size)
  for (const gpuId of [...byGpu.keys()].sort((a, b) => a - b)) {
    const list = byGpu.get(gpuId)!.sort((a, b) => a.recordedAt - b.recordedAt)
    w.uvar(gpuId)
    w.uvar(list.length)
    writeSized(w, s => {
      writeTimes(s, baseMs, list.map(r => r.recordedAt))
      writeColumn(s, list.map(r => r.clusterId))
      for (let c = 0; c < columns; c++) writeSized(s, col => writeColumn(col, list.map(r => r.readings[c]!)))
    })
  }
  return compress(w.done())
}

interface Section { gpuId: number, n: number, reader: Reader, end: number }

function* sections (data: Uint8Array): Generator<Section & { base: number, columns: number }> {
  const r = new Reader(decompress(data))
  if (r.byte() !== VERSION) throw new RangeError('gpu block: unknown version')
  const base = r.uvar()
  const columns = r.uvar()
  const gpus = r.uvar()
  for (let g = 0; g < gpus; g++) {
    const gpuId = r.uvar()
    const n = r.uvar()
    const len = r.uvar()
    const end = r.pos + len
    yield { gpuId, n, reader: r, end, base, columns }
    r.pos = end
  }
}

/** Ascending times as zigzag varint deltas of deltas from `base` (readTimes reads them back). */
function writeTimes (w: Writer, base: number, times: readonly number[]): void {
  let prev = base
  let prevDelta = 0
  for (const at of times) {
    const delta = at - prev
    w.svar(delta - prevDelta)
    prev = at
    prevDelta = delta
  }
}

function readTimes (r: Reader, base: number, n: number): number[] {
  const times: number[] = new Array(n)
  let prev = base
  let prevDelta = 0
  for (let i = 0; i < n; i++) {
    prevDelta += r.svar()
    prev += prevDelta
    times[i] = prev
  }
  return times
}

/** Every row of a block (of the GPUs `want` accepts), by gpuId then recordedAt. */
export function decodeGpuBlock (data: Uint8Array, want: (gpuId: number) => boolean = () => true): BlockRow[] {
  const out: BlockRow[] = []
  for (const { n, gpuId, reader: r, base, columns } of sections(data)) {
    if (!want(gpuId)) continue
    const times = readTimes(r, base, n)
    const clusters = readColumn(r, n)
    const cols: Array<Array<number | null>> = []
    for (let c = 0; c < columns; c++) {
      r.uvar()
      cols.push(readColumn(r, n))
    }
    for (let i = 0; i < n; i++) out.push({ gpuId, recordedAt: times[i]!, clusterId: clusters[i]!, readings: cols.map(col => col[i]!) })
  }
  return out
}

/**
 * One reading column of the GPUs `want` accepts, without decoding the other columns: the
 * utilization reads and a GPU's history. A column the block predates reads as null.
 */
export function decodeGpuBlockColumn (data: Uint8Array, column: number, want: (gpuId: number) => boolean): Array<SeriesPoint & { gpuId: number }> {
  const out: Array<SeriesPoint & { gpuId: number }> = []
  for (const { n, gpuId, reader: r, base, columns } of sections(data)) {
    if (!want(gpuId)) continue
    const times = readTimes(r, base, n)
    readColumn(r, n)
    let values: Array<number | null> | null = null
    for (let c = 0; c < columns; c++) {
      const len = r.uvar()
      if (c === column) { values = readColumn(r, n); break }
      r.pos += len
    }
    for (let i = 0; i < n; i++) out.push({ gpuId, at: times[i]!, value: values === null ? null : values[i]! })
  }
  return out
}

/** Row count and time span of a block, read from its timestamps only. */
export function gpuBlockTimes (data: Uint8Array): number[] {
  const out: number[] = []
  for (const { n, reader: r, base } of sections(data)) out.push(...readTimes(r, base, n))
  return out
}

/** A scope's per-second power sums of one minute ↔ bytes (time delta of delta, values as a column). */
export function encodePowerBlock (baseMs: number, points: readonly SeriesPoint[]): Uint8Array {
  const sorted = [...points].sort((a, b) => a.at - b.at)
  const w = new Writer()
  w.byte(VERSION)
  w.uvar(baseMs)
  w.uvar(sorted.length)
  writeTimes(w, baseMs, sorted.map(p => p.at))
  writeColumn(w, sorted.map(p => p.value))
  return compress(w.done())
}

export function decodePowerBlock (data: Uint8Array): SeriesPoint[] {
  const r = new Reader(decompress(data))
  if (r.byte() !== VERSION) throw new RangeError('power block: unknown version')
  const base = r.uvar()
  const n = r.uvar()
  const times = readTimes(r, base, n)
  const values = readColumn(r, n)
  return times.map((at, i) => ({ at, value: values[i]! }))
}
