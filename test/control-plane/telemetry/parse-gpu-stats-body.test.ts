import t from 'tap'
import { parseGpuStatsBody } from '../../../control-plane/telemetry/parse-gpu-stats-body.ts'

const window = { receivedAt: 1_000_000, oldestMs: 0, newestMs: 2_000_000 }

t.test('the seed body: rows stamped with the receive time, readings as given, absent ones null', async t => {
  const body = JSON.parse('{"gpus":[{"gpu_id":0,"name":"NVIDIA B200","power_draw_w":612.4,"temp_c":47,"memory_used_mb":173456,"memory_total_mb":183359,"utilization_pct":84},{"gpu_id":1,"name":"NVIDIA B200"}]}')
  const parsed = parseGpuStatsBody(body, window)
  t.equal(parsed.node, undefined)
  t.equal(parsed.skipped, 0)
  t.match(parsed.samples[0], { gpuId: 0, recordedAt: 1_000_000, powerDrawW: 612.4, tempC: 47, utilizationPct: 84, uuid: null, eccErrorsCorrected: null })
  t.match(parsed.samples[1], { gpuId: 1, powerDrawW: null, memoryUsedMb: null })
})

t.test('an agent batch: node identity and per-row recorded_at; rows outside the window skipped', async t => {
  const body = JSON.parse(`{"node":{"hostname":"gpu-01","cluster":"east"},"gpus":[
    {"gpu_id":0,"name":"B200","recorded_at":"1970-01-01T00:16:40.500Z"},
    {"gpu_id":0,"name":"B200","recorded_at":"1970-01-01T01:16:40+01:00"},
    {"gpu_id":0,"name":"B200","recorded_at":"1970-01-02T00:00:00Z"},
    {"gpu_id":0,"name":"B200","recorded_at":"yesterday"},
    {"gpu_id":0,"name":"B200","temp_c":151}]}`)
  const parsed = parseGpuStatsBody(body, window)
  t.same(parsed.node, { hostname: 'gpu-01', cluster: 'east' })
  t.same(parsed.samples.map(s => s.recordedAt), [1_000_500, 1_000_000])
  t.equal(parsed.skipped, 3)
})

t.test('the envelope is strict', async t => {
  for (const body of [null, [], 'x', {}, { gpus: {} }, { gpus: 'x' }]) t.throws(() => parseGpuStatsBody(body, window), { code: 'GPUS_REQUIRED', status: 400 })
  t.throws(() => parseGpuStatsBody({ node: { hostname: 5 }, gpus: [] }, window), { code: 'INVALID_NODE', status: 400 })
})
