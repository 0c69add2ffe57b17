import t from 'tap'
import { parseGpuLine } from '../../../agent/collector/parse-gpu-line.ts'
import type { GpuReading } from '../../../agent/collector/snapshot.ts'
import { toGpuStatRows } from '../../../agent/uplink/to-gpu-stat-rows.ts'
import { gpuStatRowSchema } from '../../../shared/wire/gpu-stats.ts'

// Upstream, a missing GPU and a faulty value travel in the rows the agent already pushes
// (seed 000 ingest, extended with an optional `fault`): the control plane sees the GPU
// unknown at this tick, with the reason, instead of its last good values going stale.

const at = Date.UTC(2026, 6, 1, 12, 0, 0)
const FIELDS = ['index', 'uuid', 'name', 'memory.total', 'memory.used', 'power.draw']

function row (line: string): GpuReading {
  const r = parseGpuLine(FIELDS, line)
  if (!r.ok) throw new Error(r.reason)
  return r.gpu
}

t.test('a GPU off the bus is pushed with no readings and its reason; a fault names its field', async t => {
  const rows = toGpuStatRows({
    recordedAt: at,
    gpus: [
      row('0, GPU-5e1f0c3a-00b2-4c1d-9a7e-000000000000, NVIDIA B200, 183359, 100, 250.00'),
      row('1, GPU-5e1f0c3a-01b2-4c1d-9a7e-000000000101, NVIDIA B200, 183359, [GPU requires reset], 251.00'),
    ],
    missing: [{ index: 2, uuid: 'GPU-5e1f0c3a-02b2-4c1d-9a7e-000000000202', pciBusId: '00000000:38:00.0', name: 'NVIDIA B200', reason: 'nvidia-smi: Unable to determine the device handle for GPU 00000000:38:00.0: Unknown Error', since: at - 3000 }],
  })
  t.equal(rows.length, 3)
  t.equal(rows[0]?.fault, undefined, 'a clean row has no fault')
  t.match(rows[1], { gpu_id: 1, memory_used_mb: null, power_draw_w: 251, fault: 'memory.used: GPU requires reset' })
  t.same(rows[2], {
    gpu_id: 2,
    name: 'NVIDIA B200',
    power_draw_w: null,
    temp_c: null,
    memory_used_mb: null,
    memory_total_mb: null,
    utilization_pct: null,
    recorded_at: '2026-07-01T12:00:00.000Z',
    uuid: 'GPU-5e1f0c3a-02b2-4c1d-9a7e-000000000202',
    pci_bus_id: '00000000:38:00.0',
    fault: 'missing: nvidia-smi: Unable to determine the device handle for GPU 00000000:38:00.0: Unknown Error',
  })
  t.ok(rows.every(r => gpuStatRowSchema.safeParse(r).success), 'all valid ingest rows')
})
