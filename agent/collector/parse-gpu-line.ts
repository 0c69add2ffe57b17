import { GPU_FIELDS, gpuFieldNumber, type GpuField, type GpuFieldReadings } from '../../shared/gpu-fields.ts'
import type { GpuFault, GpuReading } from './snapshot.ts'
import { faultToken, parseHexMaskCell, parseNumberCell, parseShapedCell, parseTextCell, parseYesNoCell } from './parse-cell.ts'
import type { Cell } from './parse-cell.ts'
import { splitCsvLine } from './split-csv-line.ts'

export type GpuLineResult = { ok: true, gpu: GpuReading } | { ok: false, reason: string }

type Value = number | string | boolean | null
type Parser = (raw: string) => Cell<Value>

const shaped = (pattern: RegExp, what: string): Parser => raw => parseShapedCell(raw, pattern, what)

const CELLS: Record<GpuField['cell'], Parser> = {
  number: parseNumberCell,
  hexMask: parseHexMaskCell,
  yesNo: parseYesNoCell,
  pstate: shaped(/^P\d{1,2}$/, 'pstate'),
}

/**
 * A cell that must lie in the table's range (and be whole where it says so): anything else is
 * a fault, never a reading.
 */
const ranged = (parse: Parser, range: GpuField['range']): Parser => range === undefined
  ? parse
  : raw => {
    const cell = parse(raw)
    if (!cell.ok || cell.value === null) return cell
    const n = gpuFieldNumber(cell.value) as number
    if (n < range.min || n > range.max) return { ok: false, reason: `${n} is outside ${range.min}..${range.max}` }
    if (range.int === true && !Number.isInteger(n)) return { ok: false, reason: `${n} is not a whole number` }
    return cell
  }

/** Canonical field → how to read its cell. Fields not listed (timestamp, …) are skipped. */
const PARSERS: Record<string, Parser> = {
  index: ranged(parseNumberCell, { min: 0, max: 255, int: true }),
  uuid: shaped(/^(GPU|MIG)-[0-9a-fA-F-]+$/, 'GPU UUID'),
  name: parseTextCell,
  'pci.bus_id': shaped(/^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$/, 'PCI bus id'),
  ...Object.fromEntries(GPU_FIELDS.flatMap((f): Array<[string, Parser]> => {
    const parse = ranged(CELLS[f.cell], 'range' in f ? f.range : undefined)
    return 'fallback' in f ? [[f.smi, parse], [f.fallback, parse]] : [[f.smi, parse]]
  })),
  // Read as text: a MIG mode nvidia-smi words otherwise is unknown (null), not a bad row.
  'mig.mode.current': parseTextCell,
}

const migModeOf = (v: string | null): 'Enabled' | 'Disabled' | null => (v === 'Enabled' || v === 'Disabled' ? v : null)

/**
 * One `--query-gpu` row → a GpuReading. `fields` are the canonical names in column order;
 * values may carry units or not (`nounits`). `[N/A]` and its kin become null. A value that is
 * a fault (an NVML error token such as `[GPU requires reset]`, NaN, a negative or impossible
 * figure) makes that one field null and is listed in `faults` with the reason: one bad cell
 * never costs the other fields or the other GPUs. Only a row that cannot say which GPU it is
 * (wrong column count, no index) fails as a whole.
 */
export function parseGpuLine (fields: readonly string[], line: string): GpuLineResult {
  const cells = splitCsvLine(line)
  if (cells.length !== fields.length) {
    return { ok: false, reason: `expected ${fields.length} values, got ${cells.length}` }
  }
  const v = new Map<string, number | string | boolean | null>()
  const faults: GpuFault[] = []
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string
    const parse = PARSERS[field]
    if (!parse) continue
    const raw = cells[i] as string
    const token = faultToken(raw)
    const cell: Cell<number | string | boolean | null> = token === null ? parse(raw) : { ok: false, reason: token }
    if (cell.ok) {
      v.set(field, cell.value)
    } else {
      v.set(field, null)
      faults.push({ field, raw: raw.slice(0, 100), reason: cell.reason })
    }
  }
  const index = v.get('index')
  if (typeof index !== 'number') {
    return { ok: false, reason: `no GPU index${faults[0]?.field === 'index' ? `: ${faults[0].reason}` : ''}` }
  }
  const str = (f: string): string | null => {
    const x = v.get(f)
    return typeof x === 'string' ? x : null
  }
  const used = v.get('memory.used')
  const total = v.get('memory.total')
  if (typeof used === 'number' && typeof total === 'number' && used > total) {
    faults.push({ field: 'memory.used', raw: String(used), reason: `memory.used ${used} MiB exceeds memory.total ${total} MiB` })
    v.set('memory.used', null)
  }
  // A driver without the newer names (or a GPU that leaves them [N/A]) still has the stand-in:
  // the best reading there is, rather than none. A value that is a fault has no stand-in.
  const faulted = new Set(faults.map(f => f.field))
  const readings: Record<string, Value> = {}
  for (const f of GPU_FIELDS) {
    const value = v.get(f.smi) ?? null
    readings[f.reading] = value !== null || !('fallback' in f) || faulted.has(f.smi) ? value : v.get(f.fallback) ?? null
  }
  const gpu: GpuReading = {
    index,
    uuid: str('uuid'),
    name: str('name'),
    pciBusId: str('pci.bus_id'),
    ...readings as GpuFieldReadings,
    ...(fields.includes('mig.mode.current') && { migMode: migModeOf(str('mig.mode.current')) }),
  }
  if (faults.length > 0) gpu.faults = faults
  return { ok: true, gpu }
}
