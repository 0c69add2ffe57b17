import t from 'tap'
import type { GpuReading } from '../../../agent/collector/snapshot.ts'
import { createTickAssembler } from '../../../agent/collector/tick-assembler.ts'

const row = (index: number, memoryUsedMib = 0): GpuReading => ({
  index, uuid: null, name: null, pciBusId: null, memoryTotalMib: null, memoryReservedMib: null, memoryUsedMib, memoryFreeMib: null,
  utilizationGpuPct: null, utilizationMemoryPct: null, temperatureGpuC: null, temperatureMemoryC: null, powerDrawInstantW: null,
  powerDrawAverageW: null, powerLimitW: null, smClockMhz: null, memClockMhz: null, pstate: null, eccCorrectedVolatile: null, eccUncorrectedVolatile: null,
  clocksEventReasons: null, remappedRowsCorrectable: null, remappedRowsUncorrectable: null, remappedRowsPending: null, remappedRowsFailure: null,
})

/** Feed rows (rows of GPUs the assembler does not expect are skipped, as the collector does); ticks as index:memory strings, absent GPUs as -index. */
function feed (order: number[], rows: Array<[number, number]>): { ticks: string[], stats: { partialTicks: number } } {
  const a = createTickAssembler(order)
  const ticks: string[] = []
  for (const [i, m] of rows) {
    if (!a.expects(i)) continue
    const tick = a.push(row(i, m))
    if (tick) ticks.push([...tick.gpus.map(g => `${g.index}:${g.memoryUsedMib}`), ...tick.absent.map(i => `-${i}`)].join(' '))
  }
  return { ticks, stats: a.stats() }
}

t.test('a tick completes when every GPU has a row', async t => {
  t.same(feed([0, 1, 2], [[0, 1], [1, 1], [2, 1], [0, 2], [1, 2], [2, 2]]).ticks, ['0:1 1:1 2:1', '0:2 1:2 2:2'])
})

t.test('a tick missing a row is emitted with the rows it has and the GPUs it lacks, never mixed with the next', async t => {
  // tick 1 lacks GPU 2; tick 2 lacks GPU 0 (its row was garbage); tick 3 is whole.
  const r = feed([0, 1, 2], [[0, 1], [1, 1], [0, 2], [1, 2], [2, 2], [1, 3], [2, 3], [0, 4], [1, 4], [2, 4]])
  t.same(r.ticks, ['0:1 1:1 -2', '0:2 1:2 2:2', '1:3 2:3 -0', '0:4 1:4 2:4'])
  t.equal(r.stats.partialTicks, 2)
})

t.test('a repeated index starts a new tick', async t => {
  t.same(feed([0, 1], [[0, 1], [0, 2], [1, 2]]).ticks, ['0:1 -1', '0:2 1:2'])
})

t.test('setOrder: a GPU leaves mid-tick (the tick completes without it) and comes back', async t => {
  const a = createTickAssembler([0, 1, 2])
  t.equal(a.push(row(0, 1)), null)
  t.equal(a.push(row(1, 1)), null)
  t.same(a.setOrder([0, 1])?.gpus.map(g => g.index), [0, 1], 'GPU 2 fell off: the tick is complete')
  t.notOk(a.expects(2))
  t.equal(a.setOrder([0, 1, 2]), null)
  t.ok(a.expects(2))
  t.equal(a.push(row(0, 2)), null)
  t.equal(a.push(row(1, 2)), null)
  t.same(a.push(row(2, 2))?.gpus.map(g => g.index), [0, 1, 2])
})

t.test('the order nvidia-smi prints in, not numeric order', async t => {
  t.same(feed([3, 0], [[3, 1], [0, 1], [3, 2], [0, 2]]).ticks, ['3:1 0:1', '3:2 0:2'])
})
