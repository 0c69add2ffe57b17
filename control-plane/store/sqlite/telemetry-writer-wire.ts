import type { GpuSample, SampleBatch, SampleBatchResult, StoredGpuSample } from '../telemetry-repository.ts'
import { newestRowOf } from './sqlite-insert-samples.ts'
import { NUMBERS_PER_SAMPLE, STRING_SLOTS, packedOf, packedSampleBatch, stringTable, unpackSample } from '../packed-samples.ts'

/**
 * A group commit as it crosses to SQLite's telemetry writer thread and back, each way one
 * Float64Array that is transferred, not cloned. Structured clone walks every object, array
 * and string of a message on both sides; a commit of a few dozen pushes as objects (a head
 * and a packed block per push) cost the event loop about as much as the commit's SQL.
 *
 * Request: per batch a head of HEAD numbers (nodeId, clusterId or NaN, hostname as an index
 * into `strings` or -1, its row count), then its rows in packed-samples.ts's layout with their
 * strings re-indexed into the commit's one `strings` (each distinct string once).
 *
 * Reply: per batch inserted, duplicates, the count k of its newest rows, then k pairs (row
 * index in the batch, stored id). The event loop still holds the batches it sent (a failed
 * commit is retried batch by batch with them), so the newest rows are rebuilt from those.
 */
const HEAD = 4

export interface CommitWire {
  numbers: Float64Array<ArrayBuffer>
  strings: Array<string | null>
}

export function encodeCommit (batches: readonly SampleBatch[]): CommitWire {
  let size = 0
  for (const b of batches) size += HEAD + packedOf(b).count * NUMBERS_PER_SAMPLE
  const numbers = new Float64Array(size)
  const { strings, ref } = stringTable()
  let at = 0
  for (const b of batches) {
    const packed = packedOf(b)
    numbers[at] = b.nodeId
    numbers[at + 1] = b.clusterId ?? NaN
    numbers[at + 2] = b.hostname === null ? -1 : ref(b.hostname)
    numbers[at + 3] = packed.count
    at += HEAD
    const rows = packed.numbers.subarray(0, packed.count * NUMBERS_PER_SAMPLE)
    numbers.set(rows, at)
    // The batch's own string indexes → the commit's.
    const local = packed.strings.map(ref)
    for (let r = 0; r < packed.count; r++, at += NUMBERS_PER_SAMPLE) {
      for (const slot of STRING_SLOTS) numbers[at + slot] = local[numbers[at + slot]!]!
    }
  }
  return { numbers, strings }
}

export function decodeCommit ({ numbers, strings }: CommitWire): SampleBatch[] {
  const batches: SampleBatch[] = []
  let at = 0
  while (at < numbers.length) {
    const clusterId = numbers[at + 1]!
    const hostname = numbers[at + 2]!
    const count = numbers[at + 3]!
    const rows = numbers.subarray(at + HEAD, at + HEAD + count * NUMBERS_PER_SAMPLE)
    // Packed: the writer binds rows from the block; objects only if something asks for `samples`.
    batches.push(packedSampleBatch({
      nodeId: numbers[at]!,
      clusterId: Number.isNaN(clusterId) ? null : clusterId,
      hostname: hostname < 0 ? null : strings[hostname]!,
    }, { count, numbers: rows, strings }))
    at += HEAD + count * NUMBERS_PER_SAMPLE
  }
  return batches
}

/** The writer's results for `batches` (decodeCommit's, whose samples the newest rows are). */
export function encodeResults (batches: readonly SampleBatch[], results: readonly SampleBatchResult[]): Float64Array<ArrayBuffer> {
  let size = 0
  for (const r of results) size += 3 + 2 * r.newest.length
  const out = new Float64Array(size)
  let at = 0
  results.forEach((r, i) => {
    out[at] = r.inserted
    out[at + 1] = r.duplicates
    out[at + 2] = r.newest.length
    at += 3
    for (const s of r.newest) {
      const row = newestRowOf(s) ?? batches[i]!.samples.indexOf(s)
      if (row < 0) throw new Error('telemetry writer: a newest row that is not one of its batch\'s samples')
      out[at] = row
      out[at + 1] = s.id
      at += 2
    }
  })
  return out
}

/** encodeResults' block → results, the newest rows rebuilt from the batches the event loop sent. */
export function decodeResults (batches: readonly SampleBatch[], out: Float64Array): SampleBatchResult[] {
  const results: SampleBatchResult[] = []
  let at = 0
  for (const b of batches) {
    const k = out[at + 2]!
    const newest: StoredGpuSample[] = []
    for (let j = 0; j < k; j++) {
      const row = out[at + 3 + 2 * j]!
      const sample: GpuSample = b.packed === undefined ? { ...b.samples[row]! } : unpackSample(b.packed, row)
      newest.push(Object.assign(sample, { id: out[at + 4 + 2 * j]! }))
    }
    results.push({ inserted: out[at]!, duplicates: out[at + 1]!, newest })
    at += 3 + 2 * k
  }
  return results
}
