import type { GpuReading } from './snapshot.ts'
import { parseHexMaskCell, parseNumberCell, parseShapedCell, parseTextCell, parseYesNoCell } from './parse-cell.ts'
import type { Cell } from './parse-cell.ts'
import { splitCsvLine } from './split-csv-line.ts'

export type GpuLineResult = { ok: true, gpu: GpuReading } | { ok: false, reason: string }

type Parser = (raw: string) => Cell<number | string | boolean | null>

const number: Parser = parseNumberCell
const text: Parser = parseTextCell
const shaped = (pattern: RegExp, what: string): Parser => raw => parseShapedCell(raw, pattern, what)

/** Canonical field → how to read its cell. Fields not listed (timestamp, …) are skipped. */
const PARSERS: Record<string, Parser> = {
  index: number,
  uuid: shaped(/^(GPU|MIG)-[0-9a-fA-F-]+$/, 'GPU UUID'),
  name: text,
  'pci.bus_id': shaped(/^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$/, 'PCI bus id'),
  'memory.total': number,
  'memory.reserved': number,
  'memory.used': number,
  'memory.free': number,
  'utilization.gpu': number,
  'utilization.memory': number,
  'temperature.gpu': number,
  'temperature.memory': number,
  'power.draw': number,
  'power.draw.average': number,
  'power.draw.instant': number,
  'power.limit': number,
  'enforced.power.limit': number,
  'clocks.current.sm': number,
  'clocks.current.memory': number,
  pstate: shaped(/^P\d{1,2}$/, 'pstate'),
  'ecc.errors.corrected.volatile.total': number,
  'ecc.errors.uncorrected.volatile.total': number,
  'clocks_event_reasons.active': parseHexMaskCell,
  'remapped_rows.correctable': number,
  'remapped_rows.uncorrectable': number,
  'remapped_rows.pending': parseYesNoCell,
  'remapped_rows.failure': parseYesNoCell,
  // Read as text: a MIG mode nvidia-smi words otherwise is unknown (null), not a bad row.
  'mig.mode.current': text,
}

const migModeOf = (v: string | null): 'Enabled' | 'Disabled' | null => (v === 'Enabled' || v === 'Disabled' ? v : null)

/**
 * One `--query-gpu` row → a GpuReading. `fields` are the canonical names in column order;
 * values may carry units or not (`nounits`). Unavailable values become null; a wrong column
 * count, a malformed number or a missing index fails the whole line.
 */
export function parseGpuLine (fields: readonly string[], line: string): GpuLineResult {
  const cells = splitCsvLine(line)
  if (cells.length !== fields.length) {
    return { ok: false, reason: `expected ${fields.length} values, got ${cells.length}` }
  }
  const v = new Map<string, number | string | boolean | null>()
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string
    const parse = PARSERS[field]
    if (!parse) continue
    const cell = parse(cells[i] as string)
    if (!cell.ok) return { ok: false, reason: `${field}: ${cell.reason}` }
    v.set(field, cell.value)
  }
  const index = v.get('index')
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
    return { ok: false, reason: 'no GPU index' }
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
  return {
    ok: true,
    gpu: {
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
      // A driver without the newer names (or a GPU that leaves them [N/A]) still has
      // power.draw: the best reading there is for both, rather than none.
      powerDrawInstantW: num('power.draw.instant') ?? num('power.draw'),
      powerDrawAverageW: num('power.draw.average') ?? num('power.draw'),
      powerLimitW: num('power.limit') ?? num('enforced.power.limit'),
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
    },
  }
}
