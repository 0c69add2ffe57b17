import t from 'tap'
import { readFileSync } from 'node:fs'
import { attributeProcesses } from '../../../agent/jobs/attribute-processes.ts'
import { parseComputeApps } from '../../../agent/collector/parse-compute-apps.ts'
import type { ComputeApp } from '../../../agent/collector/snapshot.ts'

const GPU0 = 'GPU-5d8a1e0c-4f0b-2b8a-6b0e-3f6c1a7e9d21'
const GPU1 = 'GPU-9b1f2c3d-0000-1111-2222-333344445555'
const app = (gpuUuid: string, pid: number, usedMemoryMib: number | null = 1024, processName = 'python3'): ComputeApp => ({ gpuUuid, pid, processName, usedMemoryMib })

t.test('a process of an executed job carries its job and run; any other process none', async t => {
  const jobs = new Map([[4100, { job_id: 17, run: 1_746_750_600_000 }]])
  const out = attributeProcesses([app(GPU0, 4100), app(GPU1, 4200, null, '/opt/miner, v2')], pid => jobs.get(pid) ?? null)
  t.same(out, [
    { gpu_uuid: GPU0, pid: 4100, process_name: 'python3', used_memory_mib: 1024, job_id: 17, run: 1_746_750_600_000 },
    { gpu_uuid: GPU1, pid: 4200, process_name: '/opt/miner, v2', used_memory_mib: null, job_id: null, run: null },
  ])
})

t.test('job execution off (no jobOfPid): every process has job_id null', async t => {
  t.same(attributeProcesses([app(GPU0, 1)]).map(p => [p.job_id, p.run]), [[null, null]])
  t.same(attributeProcesses([]), [])
})

t.test('a (GPU, pid) pair twice is reported once; memory in whole MiB; over-long names cut', async t => {
  const out = attributeProcesses([app(GPU0, 1, 10.4), app(GPU0, 1, 99), app(GPU1, 1, 5, 'x'.repeat(5000))])
  t.same(out.map(p => [p.gpu_uuid, p.pid, p.used_memory_mib, p.process_name.length]), [[GPU0, 1, 10, 7], [GPU1, 1, 5, 4096]])
})

t.test('MIG (the H100 MIG capture): compute apps name the parent GPU, no GI/CI; attributed to that GPU', async t => {
  // The capture's `--query-compute-apps … --format=csv` under load (header line included).
  const csv = readFileSync(new URL('../../fixtures/nvidia-smi/query-compute-apps-h100-mig.csv', import.meta.url), 'utf8')
  const fields = ['timestamp', 'gpu_name', 'gpu_bus_id', 'gpu_serial', 'gpu_uuid', 'pid', 'process_name', 'used_gpu_memory']
  const lines = csv.split('\n').filter(l => /^\d{4}\//.test(l))
  t.equal(lines.length, 3, 'three processes under load, on MIG device GI 2')
  const apps = parseComputeApps(lines.join('\n'), fields)
  const out = attributeProcesses(apps, pid => (pid === 21198 ? { job_id: 5, run: 1 } : null))
  t.same(out, [
    { gpu_uuid: 'GPU-00000000-0000-0000-0000-000000000000', pid: 21180, process_name: '/root/tools/memhog', used_memory_mib: 2296, job_id: null, run: null },
    { gpu_uuid: 'GPU-00000000-0000-0000-0000-000000000000', pid: 21181, process_name: '/root/tools/memhog', used_memory_mib: 1272, job_id: null, run: null },
    { gpu_uuid: 'GPU-00000000-0000-0000-0000-000000000000', pid: 21198, process_name: './gpu_burn', used_memory_mib: 7484, job_id: 5, run: 1 },
  ])
})
