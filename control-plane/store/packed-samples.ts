import { MAX_GPU_ID, WIRE_GPU_FIELDS } from '../../shared/gpu-fields.ts'
import type { GpuSample, PackedSamples, SampleBatch } from './telemetry-repository.ts'

/**
 * Samples packed for crossing threads: one Float64Array (copied or transferred as one block)
 * and one array of strings instead of an object per row, which structured clone would walk
 * key by key on both sides. The parse workers pack; SQLite's telemetry writer thread unpacks.
 */
const READINGS = WIRE_GPU_FIELDS.map(f => f.sample)
// gpuId, recordedAt, the readings, then name, uuid and pciBusId as indexes into `strings`.
export const NUMBERS_PER_SAMPLE = 2 + READINGS.length + 3
const NAME = 2 + READINGS.length
/** Where a packed row holds string indexes (name, uuid, pciBusId). */
export const STRING_SLOTS = [NAME, NAME + 1, NAME + 2] as const
/** Where a packed row holds the reading `key` (NaN for null): the rows are gpuId, recordedAt, then READINGS in order. */
export const readingSlot = (key: (typeof READINGS)[number]): number => {
  const j = READINGS.indexOf(key)
  if (j < 0) throw new Error(`packed samples: no reading ${String(key)}`)
  return 2 + j
}
/** How many readings a packed row holds, from slot 2 on (the stored columns after the keys, in order). */
export const READING_COUNT = READINGS.length

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
const readSample = new Function('n', 'i', 's', `let v
  return { gpuId: n[i], recordedAt: n[i + 1], name: s[n[i + ${NAME}]], uuid: s[n[i + ${NAME + 1}]], pciBusId: s[n[i + ${NAME + 2}]],
    ${READINGS.map((k, j) => `${k}: (v = n[i + ${j + 2}]) === v ? v : null`).join(',\n')} }`) as
  (n: Float64Array, i: number, s: Array<string | null>) => GpuSample

// A wire row (shared/wire/gpu-stats.ts, already validated) written straight into a packed row:
// what sampleOf then writeNumbers would write, without the object between them.
const WIRE_READINGS = WIRE_GPU_FIELDS.map(f => f.wire)
for (const key of WIRE_READINGS) if (!IDENTIFIER.test(key)) throw new Error(`gpu field ${key}: not an identifier`)
const writeWire = new Function('n', 'i', 'row', 'recordedAt', `n[i] = row.gpu_id; n[i + 1] = recordedAt;
  ${WIRE_READINGS.map((k, j) => `n[i + ${j + 2}] = row.${k} ?? NaN;`).join('\n')}`) as
  (n: Float64Array, i: number, row: object, recordedAt: number) => void

/**
 * Packs validated wire rows (gpu_stats rows as the agent sends them) as they are accepted,
 * into room for `capacity` rows: a parse worker's output without a GpuSample per row.
 */
export function wireRowPacker (capacity: number): { add: (row: WireRowStrings, recordedAt: number) => void, done: () => PackedSamples } {
  const numbers = new Float64Array(capacity * NUMBERS_PER_SAMPLE)
  const { strings, ref } = stringTable()
  let count = 0
  return {
    add (row, recordedAt) {
      if (count >= capacity) throw new RangeError(`wireRowPacker: more than ${capacity} rows`)
      const at = count * NUMBERS_PER_SAMPLE
      writeWire(numbers, at, row, recordedAt)
      numbers[at + NAME] = ref(row.name)
      numbers[at + NAME + 1] = ref(row.uuid ?? null)
      numbers[at + NAME + 2] = ref(row.pci_bus_id ?? null)
      count++
    },
    done: () => ({ count, numbers, strings }),
  }
}
/** The string fields of a wire row (and gpu_id); its readings are read by name from WIRE_GPU_FIELDS. */
export interface WireRowStrings { gpu_id: number, name: string, uuid?: string | null | undefined, pci_bus_id?: string | null | undefined }

/** Each distinct string once, by index: `ref` adds a string where it is new. */
export function stringTable (): { strings: Array<string | null>, ref: (v: string | null) => number } {
  const strings: Array<string | null> = []
  const index = new Map<string | null, number>()
  return {
    strings,
    ref (v) {
      let i = index.get(v)
      if (i === undefined) {
        index.set(v, i = strings.length)
        strings.push(v)
      }
      return i
    },
  }
}

export function packSamples (samples: readonly GpuSample[]): PackedSamples {
  const numbers = new Float64Array(samples.length * NUMBERS_PER_SAMPLE)
  // Each distinct string once (a batch repeats its GPUs' names and ids on every tick), so
  // structured clone copies a handful of strings, not three per row.
  const { strings, ref } = stringTable()
  for (let r = 0; r < samples.length; r++) {
    const s = samples[r]!
    const bad = badField(s)
    if (bad !== null) throw new TypeError(`sample ${r}: ${bad} cannot be stored (${typeof s[bad as keyof GpuSample]})`)
    // The wire's bound (parse workers pack only rows within it): the store keys rows by it.
    if (!Number.isInteger(s.gpuId) || s.gpuId < 0 || s.gpuId > MAX_GPU_ID) throw new RangeError(`sample ${r}: gpuId ${s.gpuId} is not 0..${MAX_GPU_ID}`)
    const at = r * NUMBERS_PER_SAMPLE
    writeNumbers(numbers, at, s)
    numbers[at + NAME] = ref(s.name)
    numbers[at + NAME + 1] = ref(s.uuid)
    numbers[at + NAME + 2] = ref(s.pciBusId)
  }
  return { count: samples.length, numbers, strings }
}

export function unpackSamples (packed: PackedSamples): GpuSample[] {
  const samples = new Array<GpuSample>(packed.count)
  for (let r = 0; r < packed.count; r++) samples[r] = readSample(packed.numbers, r * NUMBERS_PER_SAMPLE, packed.strings)
  return samples
}

/** Row `r` of packed samples as an object. */
export function unpackSample (packed: PackedSamples, r: number): GpuSample {
  return readSample(packed.numbers, r * NUMBERS_PER_SAMPLE, packed.strings)
}

/** A batch's row count, without unpacking it. */
export function batchRows (batch: SampleBatch): number {
  return batch.packed?.count ?? batch.samples.length
}

/** The recordedAt of a batch's row `r`, without unpacking it. */
export function batchRecordedAt (batch: SampleBatch, r: number): number {
  return batch.packed === undefined ? batch.samples[r]!.recordedAt : batch.packed.numbers[r * NUMBERS_PER_SAMPLE + 1]!
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
