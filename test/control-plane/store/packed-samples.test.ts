import t from 'tap'
import { batchRecordedAt, batchRows, packedOf, packedSampleBatch, packSamples, unpackSamples } from '../../../control-plane/store/packed-samples.ts'
import type { GpuSample } from '../../../control-plane/store/telemetry-repository.ts'
import { lateHistoryBuckets } from '../../../control-plane/telemetry/with-late-history-marks.ts'
import { sample } from './telemetry-repository-suite.ts'

const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)
const rows = (): GpuSample[] => [
  sample(0, T0, 612.4, { uuid: 'GPU-0', pciBusId: '00000000:18:00.0', eccErrorsCorrected: 3 }),
  sample(1, T0, null, { uuid: null, tempC: null, name: 'NVIDIA B200' }),
  sample(0, T0 + 1000, -0, { uuid: 'GPU-0', pciBusId: '00000000:18:00.0' }),
  sample(1, T0 - 600_000, 0, { uuid: null }),
]

t.test('pack and unpack round-trip every field, null and -0 included; strings travel once', async t => {
  const packed = packSamples(rows())
  t.equal(packed.count, 4)
  t.same(unpackSamples(packed), rows())
  t.ok(Object.is(unpackSamples(packed)[2]!.powerDrawW, -0))
  t.same(packed.strings, ['NVIDIA B200', 'GPU-0', '00000000:18:00.0', null], 'each distinct string once')
})

t.test('a packed batch: counts and times without unpacking, objects only when read', async t => {
  const batch = packedSampleBatch({ nodeId: 2, clusterId: null, hostname: 'h' }, packSamples(rows()))
  t.equal(batchRows(batch), 4)
  t.same([0, 1, 2, 3].map(r => batchRecordedAt(batch, r)), rows().map(s => s.recordedAt))
  t.same(batch.samples, rows())
  t.equal(batch.samples, batch.samples, 'unpacked once')
  const plain = { nodeId: 2, clusterId: null, hostname: 'h', samples: rows() }
  t.equal(batchRows(plain), 4)
  t.same(unpackSamples(packedOf(plain)), rows())
  t.same(lateHistoryBuckets([batch], T0 + 500), lateHistoryBuckets([plain], T0 + 500))
  t.same(lateHistoryBuckets([batch], T0 + 500), [{ nodeId: 2, bucketAt: T0 }, { nodeId: 2, bucketAt: T0 - 600_000 }])
})

t.test('a value no statement could bind is refused when packed', async t => {
  t.throws(() => packSamples([{ ...rows()[0]!, powerDrawW: '1' as unknown as number }]), { name: 'TypeError', message: /powerDrawW/ })
  t.throws(() => packSamples([{ ...rows()[0]!, name: 7 as unknown as string }]), /name/)
  t.throws(() => packSamples([{ ...rows()[0]!, recordedAt: null as unknown as number }]), /recordedAt/)
  t.throws(() => packSamples([{ ...rows()[0]!, gpuId: 256 }]), { name: 'RangeError', message: /gpuId 256 is not 0..255/ }, 'a gpu id past the wire\'s bound: the store keys rows by it')
})
