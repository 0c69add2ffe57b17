import { readFileSync } from 'node:fs'
import t from 'tap'
import { parseComputeAppLine, parseComputeApps } from '../../../agent/collector/parse-compute-apps.ts'

const capture = (gpu: string): string => readFileSync(new URL(`../../fixtures/nvidia-smi/query-compute-apps-${gpu}.csv`, import.meta.url), 'utf8')
const CAPTURE_FIELDS = ['timestamp', 'gpu_name', 'gpu_bus_id', 'gpu_serial', 'gpu_uuid', 'pid', 'process_name', 'used_gpu_memory']

t.test('the H200 capture (units, header) with its columns', async t => {
  t.same(parseComputeApps(capture('h200'), CAPTURE_FIELDS), [
    { gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', pid: 10291, processName: '/root/tools/memhog', usedMemoryMib: 2566 },
    { gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', pid: 10293, processName: '/root/tools/memhog', usedMemoryMib: 1542 },
    { gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', pid: 10309, processName: './gpu_burn', usedMemoryMib: 28234 },
  ])
  t.equal(parseComputeApps(capture('h100-mig'), CAPTURE_FIELDS).length, 3)
})

t.test('the agent\'s query: gpu_uuid,pid,process_name,used_gpu_memory, noheader,nounits', async t => {
  const text = 'GPU-5e1f0c3a-02b2-4c1d-9a7e-000000000202, 4242, /usr/bin/python3, 70000\n' +
    'MIG-00000001-0000-0000-0000-000000000001, 21181, /root/tools/memhog, [N/A]\n'
  t.same(parseComputeApps(text), [
    { gpuUuid: 'GPU-5e1f0c3a-02b2-4c1d-9a7e-000000000202', pid: 4242, processName: '/usr/bin/python3', usedMemoryMib: 70000 },
    { gpuUuid: 'MIG-00000001-0000-0000-0000-000000000001', pid: 21181, processName: '/root/tools/memhog', usedMemoryMib: null },
  ], 'MIG hosts may not report per-process memory: null, not 0')
  t.same(parseComputeApps(''), [], 'no processes: no rows')
  t.same(parseComputeApps('gpu_uuid, pid, process_name, used_gpu_memory [MiB]\n'), [], 'header only')
})

t.test('a process name with ", " in it', async t => {
  t.same(parseComputeAppLine('GPU-5e1f0c3a-02b2-4c1d-9a7e-000000000202, 77, python3 serve.py --tags a, b, 512'), {
    ok: true,
    app: { gpuUuid: 'GPU-5e1f0c3a-02b2-4c1d-9a7e-000000000202', pid: 77, processName: 'python3 serve.py --tags a, b', usedMemoryMib: 512 },
  })
})

t.test('bad rows are reported, not guessed at', async t => {
  t.match(parseComputeAppLine('GPU-5e1f0c3a-02b2-4c1d-9a7e-000000000202, pid?, python3, 512'), { ok: false, reason: /pid/ })
  t.match(parseComputeAppLine('garbage'), { ok: false })
  t.match(parseComputeAppLine('GPU-5e1f0c3a-02b2-4c1d-9a7e-000000000202, 1, python3, 5x12'), { ok: false, reason: /used_gpu_memory/ })
  t.same(parseComputeAppLine('No running processes found'), { ok: true, app: null })
})
