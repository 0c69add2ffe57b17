import t from 'tap'
import { packedSampleBatch, packSamples } from '../../../control-plane/store/packed-samples.ts'
import { decodeCommit, decodeResults, encodeCommit, encodeResults } from '../../../control-plane/store/sqlite/telemetry-writer-wire.ts'
import type { GpuSample, SampleBatch, SampleBatchResult } from '../../../control-plane/store/telemetry-repository.ts'
import { sample } from './telemetry-repository-suite.ts'

const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)
const rowsA = (): GpuSample[] => [
  sample(0, T0, 612.4, { uuid: 'GPU-a0', pciBusId: '00000000:18:00.0', eccErrorsCorrected: 3 }),
  sample(1, T0, null, { uuid: null, tempC: null, name: 'NVIDIA B200' }),
  sample(0, T0 + 1000, -0, { uuid: 'GPU-a0', pciBusId: '00000000:18:00.0' }),
]
const rowsB = (): GpuSample[] => [sample(3, T0 + 5, 100, { uuid: 'GPU-b3', name: 'NVIDIA H200', pciBusId: null })]
const plain = (s: SampleBatch) => ({ nodeId: s.nodeId, clusterId: s.clusterId, hostname: s.hostname, samples: s.samples })

// Packed (from a parse worker), plain objects (tests, the in-process path), a null cluster and
// hostname, an empty batch: one block, every field back, strings shared across batches.
const batches = (): SampleBatch[] => [
  packedSampleBatch({ nodeId: 7, clusterId: 2, hostname: 'gpu-a' }, packSamples(rowsA())),
  { nodeId: 9, clusterId: null, hostname: null, samples: rowsB() },
  { nodeId: 11, clusterId: 2, hostname: 'gpu-a', samples: [] },
  packedSampleBatch({ nodeId: 12, clusterId: 3, hostname: 'gpu-c' }, packSamples(rowsA().slice(1))),
]

t.test('a commit crosses as one block and comes back batch for batch', async t => {
  const wire = encodeCommit(batches())
  t.ok(wire.numbers instanceof Float64Array)
  t.equal(new Set(wire.strings).size, wire.strings.length, 'each distinct string once in the commit')
  const back = decodeCommit(structuredClone(wire, { transfer: [wire.numbers.buffer] }))
  t.same(back.map(plain), batches().map(plain))
  t.ok(Object.is(back[0]!.samples[2]!.powerDrawW, -0))
  t.equal(wire.numbers.byteLength, 0, 'transferred: the sender keeps no copy of the block')
  t.same(decodeCommit(encodeCommit([])), [])
})

t.test('results come back as row indexes: the newest rows are the sent batches\' rows with their ids', async t => {
  const sent = batches()
  const there = decodeCommit(encodeCommit(sent))
  const results: SampleBatchResult[] = [
    { inserted: 3, duplicates: 0, newest: [Object.assign(there[0]!.samples[2]!, { id: 41 }), Object.assign(there[0]!.samples[1]!, { id: 40 })] },
    { inserted: 0, duplicates: 1, newest: [] },
    { inserted: 0, duplicates: 0, newest: [] },
    { inserted: 1, duplicates: 1, newest: [Object.assign(there[3]!.samples[0]!, { id: 77 })] },
  ]
  const got = decodeResults(sent, encodeResults(there, results))
  t.same(got, [
    { inserted: 3, duplicates: 0, newest: [{ ...rowsA()[2]!, id: 41 }, { ...rowsA()[1]!, id: 40 }] },
    { inserted: 0, duplicates: 1, newest: [] },
    { inserted: 0, duplicates: 0, newest: [] },
    { inserted: 1, duplicates: 1, newest: [{ ...rowsA()[1]!, id: 77 }] },
  ])
  t.notOk('id' in sent[1]!.samples[0]!, 'a plain batch\'s own objects are not tagged')
  t.throws(() => encodeResults(there, [{ inserted: 1, duplicates: 0, newest: [{ ...rowsB()[0]!, id: 1 }] }, ...results.slice(1)]),
    /not one of its batch's samples/, 'a newest row must be one of the batch\'s own')
})
