import { gpuStatRowMigSchema, gpuStatRowSchema, ingestNodeSchema, type GpuStatRow, type GpuStatRowMig, type IngestNode } from '../../shared/wire/gpu-stats.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { GpuSample } from '../store/telemetry-repository.ts'
import { compileRowCheck } from './compile-row-check.ts'
import { WIRE_GPU_FIELDS } from '../../shared/gpu-fields.ts'

// Wire row → GpuSample, compiled once from the table into one object literal: ingest maps
// ~40k rows/s, and a literal costs ~40 ns a row where filling the keys in a loop costs
// ~500-700 ns (V8 builds the literal's shape once; keyed stores grow each object). The names
// are the table's own, checked to be plain identifiers before they go into code.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
const sampleOf = (() => {
  for (const f of WIRE_GPU_FIELDS) {
    if (!IDENTIFIER.test(f.wire) || !IDENTIFIER.test(f.sample)) throw new Error(`gpu field ${f.wire}/${f.sample}: not an identifier`)
  }
  const readings = WIRE_GPU_FIELDS.map(f => `${f.sample}: row.${f.wire} ?? null`).join(', ')
  return new Function('row', 'recordedAt', `return { gpuId: row.gpu_id, recordedAt, name: row.name, uuid: row.uuid ?? null,
    pciBusId: row.pci_bus_id ?? null, ${readings} }`) as (row: GpuStatRow, recordedAt: number) => GpuSample
})()

// Same verdicts as gpuStatRowSchema, faster on the rows it can vouch for (see compileRowCheck).
const certainlyValid = compileRowCheck(gpuStatRowSchema) ?? (() => false)

export interface ParsedGpuStats {
  node: IngestNode | undefined
  samples: GpuSample[]
  /** Rows dropped fail-soft: invalid or out of range (seed 000), or outside the accepted time window. */
  skipped: number
  /**
   * The MIG part of the newest accepted row per gpu_id that has one (not stored with the raw
   * samples: the fleet keeps each GPU's newest MIG state). Empty for hosts without MIG.
   */
  mig: Map<number, GpuStatRowMig & { recordedAt: number }>
}

export interface ParseWindow {
  /** Stamp for rows without recorded_at (the seed's reporter sends none). */
  receivedAt: number
  /** Rows older than this are skipped: they would land in already-pruned retention. */
  oldestMs: number
  /** Rows newer than this are skipped: a runaway clock would pin "latest" in the future. */
  newestMs: number
}

/**
 * An ingest body (already JSON-parsed) → samples. The envelope is strict (400 GPUS_REQUIRED
 * without a top-level `gpus` array, 400 INVALID_NODE for a malformed `node`), the rows are
 * fail-soft: each is validated alone and a bad one is skipped while the others ingest.
 */
export function parseGpuStatsBody (body: unknown, window: ParseWindow): ParsedGpuStats {
  const samples: GpuSample[] = []
  const { node, skipped, mig } = eachAcceptedRow(body, window, (row, recordedAt) => { samples.push(sampleOf(row, recordedAt)) })
  return { node, samples, skipped, mig }
}

/** The envelope checked, then `accept` called with each valid row in the window and its time (`rows`: the body's row count). */
export function eachAcceptedRow (body: unknown, window: ParseWindow, accept: (row: GpuStatRow, recordedAt: number, rows: number) => void):
  Omit<ParsedGpuStats, 'samples'> {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray((body as { gpus?: unknown }).gpus)) {
    throw httpError('GPUS_REQUIRED', 'body must be a JSON object with a top-level "gpus" array')
  }
  const { gpus, node: rawNode } = body as { gpus: unknown[], node?: unknown }
  let node: IngestNode | undefined
  if (rawNode !== undefined) {
    const parsed = ingestNodeSchema.safeParse(rawNode)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw httpError('INVALID_NODE', `node${issue === undefined ? '' : `.${issue.path.join('.')}: ${issue.message}`}`)
    }
    node = parsed.data
  }
  const mig = new Map<number, GpuStatRowMig & { recordedAt: number }>()
  let skipped = 0
  // A push's rows share a few timestamps (one per tick): each distinct one parsed once.
  let lastIso: string | undefined
  let lastMs = NaN
  for (const raw of gpus) {
    let row: GpuStatRow | null = null
    if (certainlyValid(raw)) {
      row = raw as GpuStatRow
    } else {
      const parsed = gpuStatRowSchema.safeParse(raw)
      if (parsed.success) row = parsed.data
    }
    const migPart = row === null ? null : migOf(raw)
    let recordedAt = NaN
    if (row !== null && migPart !== undefined) {
      if (row.recorded_at === undefined) recordedAt = window.receivedAt
      else if (row.recorded_at === lastIso) recordedAt = lastMs
      else recordedAt = lastMs = Date.parse(lastIso = row.recorded_at)
    }
    if (row === null || !Number.isFinite(recordedAt) || recordedAt < window.oldestMs || recordedAt > window.newestMs) {
      skipped++
      continue
    }
    accept(row, recordedAt, gpus.length)
    if (migPart !== null && migPart !== undefined && (mig.get(row.gpu_id)?.recordedAt ?? -Infinity) <= recordedAt) mig.set(row.gpu_id, { ...migPart, recordedAt })
  }
  return { node, skipped, mig }
}

/** The row's MIG fields: null when it has none, undefined when they are malformed (the row is skipped). */
function migOf (raw: unknown): GpuStatRowMig | null | undefined {
  const r = raw as { mig_mode?: unknown, mig_instances?: unknown }
  if (r.mig_mode === undefined && r.mig_instances === undefined) return null
  const parsed = gpuStatRowMigSchema.safeParse({ mig_mode: r.mig_mode, mig_instances: r.mig_instances })
  return parsed.success ? parsed.data : undefined
}

