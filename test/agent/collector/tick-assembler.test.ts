import t from 'tap'
import type { GpuReading } from '../../../agent/collector/snapshot.ts'
import { createTickAssembler } from '../../../agent/collector/tick-assembler.ts'

const row = (index: number, memoryUsedMib = 0): GpuReading => ({
  index, uuid: null, name: null, pciBusId: null, memoryTotalMib: null, memoryReservedMib: null, memoryUsedMib, memoryFreeMib: null,
  utilizationGpuPct: null, utilizationMemoryPct: null, temperatureGpuC: null, temperatureMemoryC: null, powerDrawInstantW: null,
  powerDrawAverageW: null, powerLimitW: null, smClockMhz: null, memClockMhz: null, pstate: null, eccCorrectedVolatile: null, eccUncorrectedVolatile: null,
  clocksEventReasons: null, remappedRowsCorrectable: null, remappedRowsUncorrectable: null, remappedRowsPending: null, remappedRowsFailure: null,
})

/** Feed rows; collect the completed ticks as index:memory strings. */
function feed (order: number[], rows: Array<[number, number]>): { ticks: string[], stats: { droppedTicks: number, ignoredRows: number } } {
  const a = createTickAssembler(order)
  const ticks: string[] = []
  for (const [i, m] of rows) {
    const tick = a.push(row(i, m))
    if (tick) ticks.push(tick.map(g => `${g.index}:${g.memoryUsedMib}`).join(' '))
  }
  return { ticks, stats: a.stats() }
}

t.test('a tick completes when every GPU has a row', async t => {
  t.same(feed([0, 1, 2], [[0, 1], [1, 1], [2, 1], [0, 2], [1, 2], [2, 2]]).ticks, ['0:1 1:1 2:1', '0:2 1:2 2:2'])
})

t.test('a tick missing a row is dropped, never emitted half or mixed', async t => {
  // tick 1 lacks GPU 2; tick 2 lacks GPU 0 (its row was garbage); tick 3 is whole.
  const r = feed([0, 1, 2], [[0, 1], [1, 1], [0, 2], [1, 2], [2, 2], [1, 3], [2, 3], [0, 4], [1, 4], [2, 4]])
  t.same(r.ticks, ['0:2 1:2 2:2', '0:4 1:4 2:4'])
  t.equal(r.stats.droppedTicks, 2)
})

t.test('a repeated index starts a new tick', async t => {
  t.same(feed([0, 1], [[0, 1], [0, 2], [1, 2]]).ticks, ['0:2 1:2'])
})

t.test('rows of GPUs the probe did not see are ignored and counted', async t => {
  const r = feed([0, 1], [[0, 1], [5, 1], [1, 1]])
  t.same(r.ticks, ['0:1 1:1'])
  t.equal(r.stats.ignoredRows, 1)
})

t.test('the order nvidia-smi prints in, not numeric order', async t => {
  t.same(feed([3, 0], [[3, 1], [0, 1], [3, 2], [0, 2]]).ticks, ['3:1 0:1', '3:2 0:2'])
})
