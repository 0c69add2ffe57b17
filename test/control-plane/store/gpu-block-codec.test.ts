import t, { type Test } from 'tap'
import {
  decodeGpuBlock, decodeGpuBlockColumn, decodePowerBlock, encodeGpuBlock, encodePowerBlock, gpuBlockTimes, type BlockRow,
} from '../../../control-plane/store/gpu-block-codec.ts'

const BASE = Date.UTC(2026, 3, 26, 4, 0, 0)
const same = (a: unknown, b: unknown) => Object.is(a, b)

function sameRows (t: Test, got: BlockRow[], want: BlockRow[], msg: string): void {
  const w = [...want].sort((a, b) => a.gpuId - b.gpuId || a.recordedAt - b.recordedAt)
  t.equal(got.length, w.length, `${msg}: row count`)
  let bad = 0
  for (let i = 0; i < w.length; i++) {
    const g = got[i]!
    const x = w[i]!
    if (g.gpuId !== x.gpuId || g.recordedAt !== x.recordedAt || !same(g.clusterId, x.clusterId) ||
      g.readings.length !== x.readings.length || g.readings.some((v, c) => !same(v, x.readings[c]))) {
      if (bad++ < 3) t.fail(`${msg}: row ${i} ${JSON.stringify(g)} ≠ ${JSON.stringify(x)}`)
    }
  }
  if (bad === 0) t.pass(msg)
}

t.test('round trip: nulls, -0, NaN, infinities, full doubles, big integers, mixed columns', async t => {
  const odd = [0, -0, 1.5, 0.1 + 0.2, Number.MAX_VALUE, Number.MIN_VALUE, -Infinity, Infinity, NaN, 2 ** 53 - 1, -(2 ** 53), 612.43, null]
  const rows: BlockRow[] = odd.map((v, i) => ({
    gpuId: i % 3, recordedAt: BASE + i * 997, clusterId: i % 4 === 0 ? null : 7,
    readings: [v, 612.43 + i, null, i % 2 === 0 ? null : i, Object.is(v, -0) ? 1 : -0],
  }))
  sameRows(t, decodeGpuBlock(encodeGpuBlock(BASE, 5, rows)), rows, 'odd values')
  sameRows(t, decodeGpuBlock(encodeGpuBlock(BASE, 0, [{ gpuId: 0, recordedAt: BASE, clusterId: null, readings: [] }])),
    [{ gpuId: 0, recordedAt: BASE, clusterId: null, readings: [] }], 'no reading columns')
  t.same(decodeGpuBlock(encodeGpuBlock(BASE, 3, [])), [], 'empty block')
})

t.test('random round trips', async t => {
  let seed = 12345
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const pick = (): number | null => {
    const r = rand()
    if (r < 0.1) return null
    if (r < 0.3) return Math.round(rand() * 1e6) / 100
    if (r < 0.4) return Math.round(rand() * 100)
    if (r < 0.5) return (rand() - 0.5) * 1e300
    if (r < 0.55) return -0
    if (r < 0.6) return Math.round((rand() - 0.5) * 2 ** 53)
    return rand() * 1000
  }
  for (let round = 0; round < 200; round++) {
    const gpus = 1 + Math.floor(rand() * 9)
    const columns = Math.floor(rand() * 16)
    const rows: BlockRow[] = []
    const seen = new Set<string>()
    const n = Math.floor(rand() * 200)
    for (let i = 0; i < n; i++) {
      const gpuId = Math.floor(rand() * gpus) * (rand() < 0.1 ? 1000 : 1)
      const recordedAt = BASE + Math.floor(rand() * 60_000)
      if (seen.has(`${gpuId}:${recordedAt}`)) continue
      seen.add(`${gpuId}:${recordedAt}`)
      const constant = rand() < 0.5
      rows.push({ gpuId, recordedAt, clusterId: rand() < 0.2 ? null : Math.floor(rand() * 5), readings: Array.from({ length: columns }, (_, c) => constant && c % 2 === 0 ? c : pick()) })
    }
    const data = encodeGpuBlock(BASE, columns, rows)
    const back = decodeGpuBlock(data)
    sameRows(t, back, rows, `round ${round}`)
    t.equal(gpuBlockTimes(data).length, rows.length)
    if (columns > 0) {
      const c = Math.floor(rand() * columns)
      const one = decodeGpuBlockColumn(data, c, g => g === 0)
      t.same(one.map(p => [p.at, p.value]), back.filter(r => r.gpuId === 0).map(r => [r.recordedAt, r.readings[c]]), `round ${round}: column ${c} of GPU 0`)
    }
  }
})

t.test('a column the block predates reads as null', async t => {
  const data = encodeGpuBlock(BASE, 1, [{ gpuId: 0, recordedAt: BASE, clusterId: 1, readings: [5] }])
  t.same(decodeGpuBlockColumn(data, 3, () => true), [{ gpuId: 0, at: BASE, value: null }])
})

t.test('power blocks round trip', async t => {
  const points = [{ at: BASE + 2000, value: 4000.25 }, { at: BASE, value: 0.1 + 0.2 }, { at: BASE + 59_000, value: -0 }]
  const back = decodePowerBlock(encodePowerBlock(BASE, points))
  t.same(back.map(p => p.at), [BASE, BASE + 2000, BASE + 59_000])
  t.ok(Object.is(back[2]!.value, -0) && back[0]!.value === 0.1 + 0.2 && back[1]!.value === 4000.25)
})

t.test('corrupt data is refused, not misread', async t => {
  t.throws(() => decodeGpuBlock(new Uint8Array([1, 2, 3])))
})
