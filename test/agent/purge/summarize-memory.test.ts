import t from 'tap'
import type { GpuReading } from '../../../agent/collector/snapshot.ts'
import { summarizeMemory } from '../../../agent/purge/summarize-memory.ts'

const gpu = (index: number, memoryUsedMib: number | null, memoryTotalMib: number | null) => ({ index, memoryUsedMib, memoryTotalMib }) as GpuReading

t.test('seed 004: 45056 MiB used of 81920 → 44.0 GB of 80.0 GB, 55.0 %', async t => {
  t.same(summarizeMemory({ recordedAt: 0, gpus: [gpu(0, 45056, 81920)] }), {
    usedMib: 45056, totalMib: 81920, summary: { used_gb: 44, total_gb: 80, percent_used: 55 },
  })
})

t.test('summed over GPUs; a GPU without readings is left out, not counted as 0', async t => {
  const { summary } = summarizeMemory({ recordedAt: 0, gpus: [gpu(0, 2150, 183359), gpu(1, 1000, 183359), gpu(2, null, 183359)] })
  t.same(summary, { used_gb: 3.1, total_gb: 358.1, percent_used: 0.9 })
})

t.test('no GPUs: zeros, no division by zero', async t => {
  t.same(summarizeMemory({ recordedAt: 0, gpus: [] }).summary, { used_gb: 0, total_gb: 0, percent_used: 0 })
})
