import type { GpuFault, GpuReading } from './snapshot.ts'
import { faultToken, parseHexMaskCell, parseNumberCell, parseShapedCell, parseTextCell, parseYesNoCell } from './parse-cell.ts'
import type { Cell } from './parse-cell.ts'
import { splitCsvLine } from './split-csv-line.ts'

export type GpuLineResult = { ok: true, gpu: GpuReading } | { ok: false, reason: string }

type Parser = (raw: string) => Cell<number | string | boolean | null>

const text: Parser = parseTextCell
const shaped = (pattern: RegExp, what: string): Parser => raw => parseShapedCell(raw, pattern, what)

/**
 * A number that must lie in [min, max] (and be whole when `int`): anything else is a fault,
 * never a reading. The bounds are what the hardware can report, not alert thresholds
 * (memory is never negative, a percentage never above 100, a GPU never at 500 °C); they
 * match the ingest schema's ranges so a value the agent accepts is one the control plane keeps.
 */
const number = (min: number, max: number, int = false): Parser => raw => {
  const cell = parseNumberCell(raw)
  if (!cell.ok || cell.value === null) return cell
  if (cell.value < min || cell.value > max) return { ok: false, reason: `${cell.value} is outside ${min}..${max}` }
  if (int && !Number.isInteger(cell.value)) return { ok: false, reason: `${cell.value} is not a whole number` }
  return cell
}

const MIB = number(0, 16 * 1024 * 1024)
const PCT = number(0, 100)
const CELSIUS = number(0, 150)
const WATTS = number(0, 10_000)
const MHZ = number(0, 100_000)
const COUNT = number(0, Number.MAX_SAFE_INTEGER, true)

/** Canonical field → how to read its cell. Fields not listed (timestamp, …) are skipped. */
const PARSERS: Record<string, Parser> = {
  index: number(0, 255, true),
  uuid: shaped(/^(GPU|MIG)-[0-9a-fA-F-]+$/, 'GPU UUID'),
  name: text,
  'pci.bus_id': shaped(/^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$/, 'PCI bus id'),
  'memory.total': MIB,
  'memory.reserved': MIB,
  'memory.used': MIB,
  'memory.free': MIB,
  'utilization.gpu': PCT,
  'utilization.memory': PCT,
  'temperature.gpu': CELSIUS,
  'temperature.memory': CELSIUS,
  'power.draw': WATTS,
  'power.draw.average': WATTS,
  'power.draw.instant': WATTS,
  'power.limit': WATTS,
  'enforced.power.limit': WATTS,
  'clocks.current.sm': MHZ,
  'clocks.current.memory': MHZ,
  pstate: shaped(/^P\d{1,2}$/, 'pstate'),
  'ecc.errors.corrected.volatile.total': COUNT,
  'ecc.errors.uncorrected.volatile.total': COUNT,
  'clocks_event_reasons.active': parseHexMaskCell,
  'remapped_rows.correctable': COUNT,
  'remapped_rows.uncorrectable': COUNT,
  'remapped_rows.pending': parseYesNoCell,
  'remapped_rows.failure': parseYesNoCell,
  // Read as text: a MIG mode nvidia-smi words otherwise is unknown (null), not a bad row.
  'mig.mode.current': text,
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
  const num = (f: string): number | null => {
    const x = v.get(f)
    return typeof x === 'number' ? x : null
  }
  const str = (f: string): string | null => {
    const x = v.get(f)
    return typeof x === 'string' ? x : null
  }
  const bool = (f: string): boolean | null => {
    const x = v.get(f)
    return typeof x === 'boolean' ? x : null
  }
  // A driver without the newer names (or a GPU that leaves them [N/A]) still has power.draw:
  // the best reading there is, rather than none. A value that is a fault has no stand-in.
  const faulted = new Set(faults.map(f => f.field))
  const either = (primary: string, fallback: string): number | null => faulted.has(primary) ? null : num(primary) ?? num(fallback)
  const used = num('memory.used')
  const total = num('memory.total')
  if (used !== null && total !== null && used > total) {
    faults.push({ field: 'memory.used', raw: String(used), reason: `memory.used ${used} MiB exceeds memory.total ${total} MiB` })
    v.set('memory.used', null)
  }
  const gpu: GpuReading = {
    index,
    uuid: str('uuid'),
    name: str('name'),
    pciBusId: str('pci.bus_id'),
    memoryTotalMib: num('memory.total'),
    memoryReservedMib: num('memory.reserved'),
    memoryUsedMib: num('memory.used'),
    memoryFreeMib: num('memory.free'),
    utilizationGpuPct: num('utilization.gpu'),
    utilizationMemoryPct: num('utilization.memory'),
    temperatureGpuC: num('temperature.gpu'),
    temperatureMemoryC: num('temperature.memory'),
    powerDrawInstantW: either('power.draw.instant', 'power.draw'),
    powerDrawAverageW: either('power.draw.average', 'power.draw'),
    powerLimitW: either('power.limit', 'enforced.power.limit'),
    smClockMhz: num('clocks.current.sm'),
    memClockMhz: num('clocks.current.memory'),
    pstate: str('pstate'),
    eccCorrectedVolatile: num('ecc.errors.corrected.volatile.total'),
    eccUncorrectedVolatile: num('ecc.errors.uncorrected.volatile.total'),
    clocksEventReasons: num('clocks_event_reasons.active'),
    remappedRowsCorrectable: num('remapped_rows.correctable'),
    remappedRowsUncorrectable: num('remapped_rows.uncorrectable'),
    remappedRowsPending: bool('remapped_rows.pending'),
    remappedRowsFailure: bool('remapped_rows.failure'),
    ...(fields.includes('mig.mode.current') && { migMode: migModeOf(str('mig.mode.current')) }),
  }
  if (faults.length > 0) gpu.faults = faults
  return { ok: true, gpu }
}
