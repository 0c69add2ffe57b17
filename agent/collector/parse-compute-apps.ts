import type { ComputeApp } from './snapshot.ts'
import { COMPUTE_APPS_FIELDS } from './gpu-fields.ts'
import { isUnavailable, parseNumberCell } from './parse-cell.ts'
import { splitCsvLine } from './split-csv-line.ts'

export type ComputeAppLineResult =
  | { ok: true, app: ComputeApp }
  | { ok: true, app: null } // a header or "no processes" line: nothing to count
  | { ok: false, reason: string }

/**
 * One `--query-compute-apps` row. `fields` are the column names as queried (captures use
 * timestamp, gpu_name, … too). Process names are the one free-text value that can contain
 * ", ", so surplus cells are joined back into process_name.
 */
export function parseComputeAppLine (line: string, fields: readonly string[] = COMPUTE_APPS_FIELDS): ComputeAppLineResult {
  const trimmed = line.trim()
  if (trimmed === '' || /^No running (compute )?processes found/i.test(trimmed)) return { ok: true, app: null }
  let cells = splitCsvLine(trimmed)
  if (cells.map(c => c.replace(/ \[.*\]$/, '')).join(',') === fields.join(',')) return { ok: true, app: null }
  const nameAt = fields.indexOf('process_name')
  const extra = cells.length - fields.length
  if (extra > 0 && nameAt >= 0) {
    cells = [...cells.slice(0, nameAt), cells.slice(nameAt, nameAt + extra + 1).join(', '), ...cells.slice(nameAt + extra + 1)]
  }
  if (cells.length !== fields.length) return { ok: false, reason: `expected ${fields.length} values, got ${cells.length}` }
  const cell = (f: string): string => cells[fields.indexOf(f)] ?? ''

  const gpuUuid = cell('gpu_uuid')
  if (!/^(GPU|MIG)-[0-9a-fA-F-]+$/.test(gpuUuid)) return { ok: false, reason: `not a GPU UUID: ${JSON.stringify(gpuUuid)}` }
  const pid = cell('pid')
  if (!/^\d+$/.test(pid)) return { ok: false, reason: `not a pid: ${JSON.stringify(pid)}` }
  // MIG hosts can print [N/A] for a process's memory: unknown, not 0.
  const memory = fields.includes('used_gpu_memory') ? parseNumberCell(cell('used_gpu_memory')) : { ok: true as const, value: null }
  if (!memory.ok) return { ok: false, reason: `used_gpu_memory: ${memory.reason}` }
  const name = cell('process_name')
  return {
    ok: true,
    app: { gpuUuid, pid: Number(pid), processName: isUnavailable(name) ? '' : name, usedMemoryMib: memory.value },
  }
}

/** Every process row of a `--query-compute-apps` output; lines that do not parse are skipped. */
export function parseComputeApps (text: string, fields: readonly string[] = COMPUTE_APPS_FIELDS): ComputeApp[] {
  const apps: ComputeApp[] = []
  for (const line of text.split('\n')) {
    const r = parseComputeAppLine(line, fields)
    if (r.ok && r.app) apps.push(r.app)
  }
  return apps
}
