import { readFileSync } from 'node:fs'
import t from 'tap'
import { parseHexMaskCell, parseNumberCell, parseTextCell, parseYesNoCell } from '../../../agent/collector/parse-cell.ts'
import { parseGpuLine } from '../../../agent/collector/parse-gpu-line.ts'
import { splitCsvLine } from '../../../agent/collector/split-csv-line.ts'

/** Real `--query-gpu=<all 212 fields> --format=csv` output: header, idle row, loaded row. */
function capture (gpu: string): { fields: string[], idle: string, load: string } {
  const [header = '', idle = '', load = ''] = readFileSync(new URL(`../../fixtures/nvidia-smi/query-gpu-${gpu}.csv`, import.meta.url), 'utf8').split('\n')
  return { fields: header.split(', ').map(h => h.replace(/ \[.*\]$/, '')), idle, load }
}

const FIELDS = ['index', 'uuid', 'name', 'pci.bus_id', 'memory.total', 'memory.reserved', 'memory.used', 'memory.free',
  'utilization.gpu', 'utilization.memory', 'temperature.gpu', 'temperature.memory', 'power.draw', 'power.draw.average',
  'power.draw.instant', 'power.limit', 'enforced.power.limit', 'clocks.current.sm', 'clocks.current.memory', 'pstate',
  'ecc.errors.corrected.volatile.total', 'ecc.errors.uncorrected.volatile.total']

t.test('splitCsvLine: ", " separated, never quoted', async t => {
  t.same(splitCsvLine('0, NVIDIA H200, [N/A], 77.71 W'), ['0', 'NVIDIA H200', '[N/A]', '77.71 W'])
  t.same(splitCsvLine('N/A, , 0, 1, Direct Connected\r'), ['N/A', '', '0', '1', 'Direct Connected'])
})

t.test('cells: units stripped, every bracket token and bare N/A is null, numbers strict', async t => {
  t.same(parseNumberCell('143771 MiB'), { ok: true, value: 143771 })
  t.same(parseNumberCell('77.71 W'), { ok: true, value: 77.71 })
  t.same(parseNumberCell('0 %'), { ok: true, value: 0 })
  t.same(parseNumberCell('345 MHz'), { ok: true, value: 345 })
  t.same(parseNumberCell('28'), { ok: true, value: 28 })
  for (const token of ['[N/A]', '[Not Supported]', '[Requested functionality has been deprecated]', 'N/A', '']) {
    t.same(parseNumberCell(token), { ok: true, value: null }, `${JSON.stringify(token)} → null`)
    t.same(parseTextCell(token), { ok: true, value: null })
  }
  for (const bad of ['12x4', '77.71 V', '1e3', '0x83', '3 4', 'NaN', '.5', '5.']) {
    t.equal(parseNumberCell(bad).ok, false, `${JSON.stringify(bad)} fails`)
  }
})

t.test('H200 capture rows (units, deprecated text, N/A) parse with the full field list', async t => {
  const { fields, idle, load } = capture('h200')
  const r = parseGpuLine(fields, idle)
  t.same(r, {
    ok: true,
    gpu: {
      index: 0,
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      name: 'NVIDIA H200',
      pciBusId: '00000000:83:00.0',
      memoryTotalMib: 143771,
      memoryReservedMib: 614,
      memoryUsedMib: 0,
      memoryFreeMib: 143158,
      utilizationGpuPct: 0,
      utilizationMemoryPct: 0,
      temperatureGpuC: 28,
      temperatureMemoryC: 32,
      powerDrawInstantW: 78.21,
      powerDrawAverageW: 77.71,
      powerLimitW: 700,
      smClockMhz: 345,
      memClockMhz: 3201,
      pstate: 'P0',
      eccCorrectedVolatile: 0,
      eccUncorrectedVolatile: 0,
      clocksEventReasons: 1,
      remappedRowsCorrectable: 0,
      remappedRowsUncorrectable: 0,
      remappedRowsPending: false,
      remappedRowsFailure: false,
      migMode: 'Disabled',
    },
  })
  const l = parseGpuLine(fields, load)
  t.ok(l.ok)
  if (l.ok) t.match(l.gpu, { memoryUsedMib: 32362, memoryFreeMib: 110796, utilizationGpuPct: 100, utilizationMemoryPct: 7, powerDrawInstantW: 626.26, powerDrawAverageW: 627.4, smClockMhz: 1980 })
})

t.test('MIG capture: utilization is [N/A] → null, never 0', async t => {
  const { fields, load } = capture('h100-mig')
  const r = parseGpuLine(fields, load)
  t.ok(r.ok)
  if (r.ok) {
    t.equal(r.gpu.utilizationGpuPct, null)
    t.equal(r.gpu.utilizationMemoryPct, null)
    t.equal(r.gpu.name, 'NVIDIA H100 80GB HBM3')
    t.equal(r.gpu.memoryUsedMib, 11125)
    t.equal(r.gpu.powerDrawInstantW, 447.35)
  }
  const h100 = capture('h100')
  const idle = parseGpuLine(h100.fields, h100.idle)
  if (idle.ok) t.match(idle.gpu, { memoryTotalMib: 81559, memoryReservedMib: 479, temperatureMemoryC: 48, powerDrawAverageW: 69.85, powerDrawInstantW: 69.62 })
})

t.test('the agent\'s own nounits rows', async t => {
  const line = '3, GPU-5e1f0c3a-03b2-4c1d-9a7e-000000000303, NVIDIA B200, 00000000:48:00.0, 183359, 1047, 71500, 110812, 87, 12, 45, [N/A], 612.35, 612.35, 640.02, 1000.00, 1000.00, 1965, 3996, P0, 0, [Not Supported]'
  const r = parseGpuLine(FIELDS, line)
  t.ok(r.ok)
  if (r.ok) {
    t.match(r.gpu, { index: 3, memoryUsedMib: 71500, temperatureMemoryC: null, powerDrawInstantW: 640.02, powerDrawAverageW: 612.35, powerLimitW: 1000, eccUncorrectedVolatile: null })
  }
})

t.test('a driver without power.draw.instant/.average: power.draw stands in for both', async t => {
  const fields = ['index', 'memory.total', 'memory.used', 'power.draw', 'power.limit']
  t.match(parseGpuLine(fields, '0, 81559, 0, 69.85, 700.00'), { ok: true, gpu: { powerDrawInstantW: 69.85, powerDrawAverageW: 69.85, powerLimitW: 700, temperatureGpuC: null } })
  t.match(parseGpuLine(['index', 'power.draw', 'power.draw.instant'], '0, [N/A], [N/A]'), { ok: true, gpu: { powerDrawInstantW: null, powerDrawAverageW: null } })
  t.match(parseGpuLine(['index', 'power.limit', 'enforced.power.limit'], '0, [N/A], 650.00'), { ok: true, gpu: { powerLimitW: 650 } })
})

t.test('lines that do not parse as a whole: wrong width, no index, garbage, messages', async t => {
  const fields = ['index', 'uuid', 'memory.used', 'pstate']
  const bad = [
    '0, GPU-5e1f0c3a-00b2-4c1d-9a7e-000000000000, 100',
    '0, GPU-5e1f0c3a-00b2-4c1d-9a7e-000000000000, 100, P0, extra',
    'x?, x?, x?, x?',
    '[N/A], GPU-5e1f0c3a-00b2-4c1d-9a7e-000000000000, 100, P0',
    '-1, GPU-5e1f0c3a-00b2-4c1d-9a7e-000000000000, 100, P0',
    'Unable to determine the device handle for GPU 0000:18:00.0: GPU is lost.  Reboot the system to recover this GPU',
    'NVRM: Xid (PCI:0000:18:00): 79, pid=1234, GPU has fallen off the bus.',
    '',
  ]
  for (const line of bad) t.equal(parseGpuLine(fields, line).ok, false, JSON.stringify(line))
  t.match(parseGpuLine(fields, 'x?, x?, x?, x?'), { ok: false, reason: /no GPU index: not a number/ })
})

t.test('one bad cell: that field of that GPU is null with a fault naming it; the rest of the row stands', async t => {
  const fields = ['index', 'uuid', 'memory.total', 'memory.used', 'utilization.gpu', 'temperature.gpu', 'power.draw', 'pstate']
  const uuid = 'GPU-5e1f0c3a-00b2-4c1d-9a7e-000000000000'
  const cases: Array<[string, string, object, RegExp]> = [
    ['NaN power', `0, ${uuid}, 81920, 100, 50, 40, NaN, P0`, { powerDrawInstantW: null, memoryUsedMib: 100, utilizationGpuPct: 50 }, /power\.draw.*not a number/],
    ['garbled number', `0, ${uuid}, 81920, 12x4, 50, 40, 300.00, P0`, { memoryUsedMib: null, powerDrawInstantW: 300 }, /memory\.used.*not a number/],
    ['GPU requires reset', `0, ${uuid}, 81920, [GPU requires reset], 50, 40, 300.00, P0`, { memoryUsedMib: null, temperatureGpuC: 40 }, /memory\.used.*GPU requires reset/],
    ['Unknown Error', `0, ${uuid}, 81920, 100, [Unknown Error], 40, 300.00, P0`, { utilizationGpuPct: null, memoryUsedMib: 100 }, /utilization\.gpu.*Unknown Error/],
    ['negative memory', `0, ${uuid}, 81920, -5, 50, 40, 300.00, P0`, { memoryUsedMib: null }, /memory\.used.*-5 is outside/],
    ['used above total', `0, ${uuid}, 81920, 90000, 50, 40, 300.00, P0`, { memoryUsedMib: null, memoryTotalMib: 81920 }, /memory\.used.*exceeds memory\.total/],
    ['utilization above 100', `0, ${uuid}, 81920, 100, 250, 40, 300.00, P0`, { utilizationGpuPct: null }, /utilization\.gpu.*250 is outside/],
    ['bad uuid', `0, not-a-uuid, 81920, 100, 50, 40, 300.00, P0`, { uuid: null, memoryUsedMib: 100 }, /uuid.*not a GPU UUID/],
    ['bad pstate', `0, ${uuid}, 81920, 100, 50, 40, 300.00, fast`, { pstate: null, powerDrawInstantW: 300 }, /pstate.*not a pstate/],
  ]
  for (const [what, line, readings, fault] of cases) {
    const r = parseGpuLine(fields, line)
    t.equal(r.ok, true, what)
    if (!r.ok) continue
    t.match(r.gpu, { index: 0, ...readings }, what)
    t.equal(r.gpu.faults?.length, 1, `${what}: one fault`)
    const f = r.gpu.faults?.[0]
    t.match(`${f?.field}: ${f?.reason}`, fault, what)
  }
  const clean = parseGpuLine(fields, `0, ${uuid}, 81920, 100, [N/A], 40, [Not Supported], P0`)
  t.ok(clean.ok && clean.gpu.faults === undefined, '[N/A] and [Not Supported] are no faults')
})

t.test('health cells: the clocks event reasons mask and the row remapper', async t => {
  const fields = ['index', 'clocks_event_reasons.active', 'remapped_rows.correctable', 'remapped_rows.uncorrectable', 'remapped_rows.pending', 'remapped_rows.failure']
  t.match(parseGpuLine(fields, '0, 0x0000000000000044, 3, 1, Yes, No'), {
    ok: true,
    gpu: { clocksEventReasons: 0x44, remappedRowsCorrectable: 3, remappedRowsUncorrectable: 1, remappedRowsPending: true, remappedRowsFailure: false },
  })
  t.match(parseGpuLine(fields, '1, [N/A], [N/A], [N/A], [N/A], [N/A]'), {
    ok: true,
    gpu: { clocksEventReasons: null, remappedRowsCorrectable: null, remappedRowsUncorrectable: null, remappedRowsPending: null, remappedRowsFailure: null },
  })
  t.same(parseYesNoCell('Yes'), { ok: true, value: true })
  t.same(parseYesNoCell('[Not Supported]'), { ok: true, value: null })
  t.equal(parseYesNoCell('yes').ok, false, 'the CLI prints Yes/No exactly')
  t.equal(parseYesNoCell('1').ok, false)
  t.same(parseHexMaskCell('0x0000000000000008'), { ok: true, value: 8 })
  t.same(parseHexMaskCell('0x1'), { ok: true, value: 1 })
  for (const bad of ['8', '0x', '0xZZ', '0x00000000000000001', '0xFFFFFFFFFFFFFFFF']) t.equal(parseHexMaskCell(bad).ok, false, `${bad} fails`)
})
