import t from 'tap'
import { toGpuStatRows } from '../../../agent/uplink/to-gpu-stat-rows.ts'
import { gpuStatRowSchema } from '../../../shared/wire/gpu-stats.ts'
import { fakeGpu } from './fake-gpu-source.ts'

const at = Date.UTC(2026, 3, 26, 4, 0, 0)

t.test('one row per GPU in seed 000 shape, stamped with the tick time', async t => {
  const rows = toGpuStatRows({ recordedAt: at, gpus: [fakeGpu(0), fakeGpu(3)] })
  t.same(rows[0], {
    gpu_id: 0,
    name: 'NVIDIA B200',
    power_draw_w: 250.5,
    temp_c: 30,
    memory_used_mb: 1000,
    memory_total_mb: 183359,
    utilization_pct: 0,
    recorded_at: '2026-04-26T04:00:00.000Z',
    uuid: 'GPU-00000000-0000-0000-0000-000000000000',
    pci_bus_id: '00000000:18:00.0',
    power_draw_avg_w: 248.25,
    power_limit_w: 1000,
    memory_temp_c: 35,
    memory_reserved_mb: 542,
    memory_utilization_pct: 0,
    sm_clock_mhz: 1965,
    mem_clock_mhz: 3996,
    ecc_errors_corrected: 0,
    ecc_errors_uncorrected: 0,
    pstate: 0,
  })
  t.ok(rows.every(r => gpuStatRowSchema.safeParse(r).success), 'valid ingest rows')
})

t.test('instant power preferred; the average stands in; null stays null', async t => {
  const [row] = toGpuStatRows({ recordedAt: at, gpus: [fakeGpu(3)] })
  t.equal(row!.power_draw_w, 251.25, 'no instant reading on this driver: the 1 s average')
  t.equal(row!.power_draw_avg_w, 251.25)
  t.equal(row!.memory_temp_c, null)
  t.equal(row!.ecc_errors_uncorrected, null)
  const [none] = toGpuStatRows({ recordedAt: at, gpus: [{ ...fakeGpu(0), powerDrawInstantW: null, powerDrawAverageW: null, temperatureGpuC: null, name: null }] })
  t.equal(none!.power_draw_w, null)
  t.equal(none!.temp_c, null, 'never 0')
  t.equal(none!.name, '', 'name is required by the seed; an unnamed GPU still reports')
})

t.test('out-of-range readings are sent as read (the server skips the row, not us)', async t => {
  const [row] = toGpuStatRows({ recordedAt: at, gpus: [{ ...fakeGpu(1), utilizationGpuPct: 101, temperatureGpuC: 151 }] })
  t.equal(row!.utilization_pct, 101)
  t.equal(row!.temp_c, 151)
  t.notOk(gpuStatRowSchema.safeParse(row).success, 'the seed range check rejects it server-side')
})
