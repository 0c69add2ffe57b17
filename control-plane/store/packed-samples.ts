import { WIRE_GPU_FIELDS } from '../../shared/gpu-fields.ts'
import type { GpuSample, PackedSamples, SampleBatch } from './telemetry-repository.ts'

/**
 * Samples packed for crossing threads: one Float64Array (copied or transferred as one block)
 * and one array of strings instead of an object per row, which structured clone would walk
 * key by key on both sides. The parse workers pack; SQLite's telemetry writer thread unpacks.
 */
const READINGS = WIRE_GPU_FIELDS.map(f => f.sample)
export const NUMBERS_PER_SAMPLE = 2 + READINGS.length
export const STRINGS_PER_SAMPLE = 3

// Both directions compiled from the table into straight-line code (see parse-gpu-stats-body.ts:
// an object literal is built once per shape; keyed stores in a loop cost an order more).
// Every validated reading is a finite number or null, so NaN can stand for null.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
for (const key of READINGS) if (!IDENTIFIER.test(key)) throw new Error(`gpu field ${key}: not an identifier`)
const writeNumbers = new Function('n', 'i', 's', `n[i] = s.gpuId; n[i + 1] = s.recordedAt;
  ${READINGS.map((k, j) => `n[i + ${j + 2}] = s.${k} === null ? NaN : s.${k};`).join('\n')}`) as (n: Float64Array, i: number, s: GpuSample) => void
// What a statement would refuse to bind: refused here too, before anything is written.
const badField = new Function('s', `${['gpuId', 'recordedAt'].map(k => `if (typeof s.${k} !== 'number') return '${k}'`).join('\n')}
  ${READINGS.map(k => `if (s.${k} !== null && typeof s.${k} !== 'number') return '${k}'`).join('\n')}
  ${['name', 'uuid', 'pciBusId'].map(k => `if (s.${k} !== null && typeof s.${k} !== 'string') return '${k}'`).join('\n')}
  return null`) as (s: GpuSample) => string | null
const readSample = new Function('n', 'i', 's', 'j', `let v
  return { gpuId: n[i], recordedAt: n[i + 1], name: s[j], uuid: s[j + 1], pciBusId: s[j + 2],
    ${READINGS.map((k, j) => `${k}: (v = n[i + ${j + 2}]) === v ? v : null`).join(',\n')} }`) as
  (n: Float64Array, i: number, s: Array<string | null>, j: number) => GpuSample

export function packSamples (samples: readonly GpuSample[]): PackedSamples {
  const numbers = new Float64Array(samples.length * NUMBERS_PER_SAMPLE)
  const strings = new Array<string | null>(samples.length * STRINGS_PER_SAMPLE)
  for (let r = 0; r < samples.length; r++) {
    const s = samples[r]!
    const bad = badField(s)
    if (bad !== null) throw new TypeError(`sample ${r}: ${bad} cannot be stored (${typeof s[bad as keyof GpuSample]})`)
    writeNumbers(numbers, r * NUMBERS_PER_SAMPLE, s)
    strings[r * STRINGS_PER_SAMPLE] = s.name
    strings[r * STRINGS_PER_SAMPLE + 1] = s.uuid
    strings[r * STRINGS_PER_SAMPLE + 2] = s.pciBusId
  }
  return { count: samples.length, numbers, strings }
}

export function unpackSamples (packed: PackedSamples): GpuSample[] {
  const samples = new Array<GpuSample>(packed.count)
  for (let r = 0; r < packed.count; r++) samples[r] = readSample(packed.numbers, r * NUMBERS_PER_SAMPLE, packed.strings, r * STRINGS_PER_SAMPLE)
  return samples
}

/** A batch's row count, without unpacking it. */
export function batchRows (batch: SampleBatch): number {
  return batch.packed?.count ?? batch.samples.length
}

/** The recordedAt of each of a batch's rows, without unpacking it. */
export function * batchRecordedAts (batch: SampleBatch): Iterable<number> {
  const { packed } = batch
  if (packed === undefined) {
    for (const s of batch.samples) yield s.recordedAt
    return
  }
  for (let r = 0; r < packed.count; r++) yield packed.numbers[r * NUMBERS_PER_SAMPLE + 1]!
}

/** A batch over packed samples: `samples` is built on first read (engines that need objects). */
export function packedSampleBatch (head: Omit<SampleBatch, 'samples' | 'packed'>, packed: PackedSamples): SampleBatch {
  let samples: GpuSample[] | null = null
  return {
    ...head,
    packed,
    get samples () { return samples ??= unpackSamples(packed) },
  }
}

/** The batch's packed form: its own, or packed now (a batch built from objects, e.g. by tests). */
export function packedOf (batch: SampleBatch): PackedSamples {
  return batch.packed ?? packSamples(batch.samples)
}
