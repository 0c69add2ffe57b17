import type { GpuStatRowMig, IngestNode } from '../../shared/wire/gpu-stats.ts'
import { WIRE_GPU_FIELDS } from '../../shared/gpu-fields.ts'
import type { GpuSample } from '../store/telemetry-repository.ts'
import type { ParsedGpuStats } from './parse-gpu-stats-body.ts'

/**
 * A parsed ingest body as it crosses from a parse worker to the event loop: the samples as
 * one Float64Array (transferred, not copied) and one array of strings instead of an object
 * per row, which structured clone would walk key by key on both sides.
 */
export interface PackedGpuStats {
  node: IngestNode | undefined
  skipped: number
  mig: Array<[number, GpuStatRowMig & { recordedAt: number }]>
  /** Per sample NUMBERS_PER_SAMPLE values: gpuId, recordedAt, then the readings in table order (NaN: null). */
  numbers: Float64Array
  /** Per sample: name, uuid, pciBusId. */
  strings: Array<string | null>
}

/** A parse's verdict: the body's samples, or the 4xx it is answered with (nothing written). */
export type IngestParseOutcome =
  | { ok: true, packed: PackedGpuStats }
  | { ok: false, status: number, code: string, message: string, details?: Record<string, unknown> }

const READINGS = WIRE_GPU_FIELDS.map(f => f.sample)
const NUMBERS_PER_SAMPLE = 2 + READINGS.length
const STRINGS_PER_SAMPLE = 3

// Both directions compiled from the table into straight-line code (see parse-gpu-stats-body.ts:
// an object literal is built once per shape; keyed stores in a loop cost an order more).
// Every validated reading is a finite number or null, so NaN can stand for null.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
for (const key of READINGS) if (!IDENTIFIER.test(key)) throw new Error(`gpu field ${key}: not an identifier`)
const writeNumbers = new Function('n', 'i', 's', `n[i] = s.gpuId; n[i + 1] = s.recordedAt;
  ${READINGS.map((k, j) => `n[i + ${j + 2}] = s.${k} === null ? NaN : s.${k};`).join('\n')}`) as (n: Float64Array, i: number, s: GpuSample) => void
const readSample = new Function('n', 'i', 's', 'j', `let v
  return { gpuId: n[i], recordedAt: n[i + 1], name: s[j], uuid: s[j + 1], pciBusId: s[j + 2],
    ${READINGS.map((k, j) => `${k}: (v = n[i + ${j + 2}]) === v ? v : null`).join(',\n')} }`) as
  (n: Float64Array, i: number, s: Array<string | null>, j: number) => GpuSample

export function packGpuStats (parsed: ParsedGpuStats): PackedGpuStats {
  const { samples } = parsed
  const numbers = new Float64Array(samples.length * NUMBERS_PER_SAMPLE)
  const strings = new Array<string | null>(samples.length * STRINGS_PER_SAMPLE)
  for (let r = 0; r < samples.length; r++) {
    const s = samples[r]!
    writeNumbers(numbers, r * NUMBERS_PER_SAMPLE, s)
    strings[r * STRINGS_PER_SAMPLE] = s.name
    strings[r * STRINGS_PER_SAMPLE + 1] = s.uuid
    strings[r * STRINGS_PER_SAMPLE + 2] = s.pciBusId
  }
  return { node: parsed.node, skipped: parsed.skipped, mig: [...parsed.mig], numbers, strings }
}

export function unpackGpuStats (packed: PackedGpuStats): ParsedGpuStats {
  const n = packed.numbers.length / NUMBERS_PER_SAMPLE
  const samples = new Array<GpuSample>(n)
  for (let r = 0; r < n; r++) samples[r] = readSample(packed.numbers, r * NUMBERS_PER_SAMPLE, packed.strings, r * STRINGS_PER_SAMPLE)
  return { node: packed.node, skipped: packed.skipped, mig: new Map(packed.mig), samples }
}
