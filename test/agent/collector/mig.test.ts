import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { createCollector } from '../../../agent/collector/create-collector.ts'
import { joinMig } from '../../../agent/collector/join-mig.ts'
import { parseGpuLine } from '../../../agent/collector/parse-gpu-line.ts'
import { parseListGpus } from '../../../agent/collector/parse-list-gpus.ts'
import { parseQueryMig } from '../../../agent/collector/parse-query-mig.ts'
import { toGpuStatRows } from '../../../agent/uplink/to-gpu-stat-rows.ts'
import { defaultSimGpu, migCaptureGpu, migCaptureProcesses, updateSimState, writeSimState } from '../../fakes/sim-state.ts'
import { KEYS, agentHarness, bearer } from '../api/fixtures.ts'
import { createMemoryLog } from './memory-log.ts'
import { waitUntil } from './wait-until.ts'

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/nvidia-smi/${name}`, import.meta.url), 'utf8')
const SIM = fileURLToPath(new URL('../../fakes/nvidia-smi', import.meta.url))

// The real H100 MIG capture (590.48.01) under load: -L, -q, and the --query-gpu row.
const CAPTURE_INSTANCES = [
  { migDeviceIndex: 0, gpuInstanceId: 2, computeInstanceId: 0, profile: '3g.40gb', uuid: 'MIG-00000000-0000-0000-0000-000000000000', memoryTotalMib: 40448, memoryUsedMib: 11091, memoryFreeMib: 29357 },
  { migDeviceIndex: 1, gpuInstanceId: 3, computeInstanceId: 0, profile: '2g.20gb', uuid: 'MIG-00000001-0000-0000-0000-000000000001', memoryTotalMib: 20096, memoryUsedMib: 17, memoryFreeMib: 20080 },
  { migDeviceIndex: 2, gpuInstanceId: 9, computeInstanceId: 0, profile: '1g.10gb', uuid: 'MIG-00000002-0000-0000-0000-000000000002', memoryTotalMib: 9984, memoryUsedMib: 9, memoryFreeMib: 9976 },
  { migDeviceIndex: 3, gpuInstanceId: 10, computeInstanceId: 0, profile: '1g.10gb', uuid: 'MIG-00000003-0000-0000-0000-000000000003', memoryTotalMib: 9984, memoryUsedMib: 9, memoryFreeMib: 9976 },
]
const GPU_UUID = 'GPU-00000000-0000-0000-0000-000000000000'

t.test('the MIG capture: -L and -q join into its four devices, the processes into GPU instance 2', async t => {
  const listed = parseListGpus(fixture('list-gpus-h100-mig.txt'))
  t.same(listed.map(g => [g.index, g.uuid, g.mig.length]), [[0, GPU_UUID, 4]])
  const queried = parseQueryMig(fixture('query-q-h100-mig.txt'))
  t.match(queried, [{ pciBusId: '00000000:00:09.0', uuid: GPU_UUID, migModeCurrent: 'Enabled' }])
  const mig = joinMig(listed, queried, 1234)
  t.same(mig.instances.get(GPU_UUID), CAPTURE_INSTANCES)
  t.same(mig.processes.map(p => [p.pid, p.gpuInstanceId, p.computeInstanceId]), [[21180, 2, 0], [21181, 2, 0], [21198, 2, 0]])
  t.equal(mig.readAt, 1234)
})

t.test('-q of a GPU without MIG: Disabled, no devices, process instance ids N/A → not joined', async t => {
  const text = ['', '==============NVSMI LOG==============', '', 'Attached GPUs                                          : 1',
    'GPU 00000000:18:00.0', '    MIG Mode', '        Current                                        : Disabled',
    '    GPU UUID                                           : GPU-aaaa', '    Processes',
    '        GPU instance ID                   : N/A', '        Compute instance ID               : N/A', '        Process ID                        : 11327',
    '            Type                          : C', ''].join('\n')
  const q = parseQueryMig(text)
  t.same(q, [{ pciBusId: '00000000:18:00.0', uuid: 'GPU-aaaa', migModeCurrent: 'Disabled', devices: [], processes: [{ gpuInstanceId: null, computeInstanceId: null, pid: 11327 }] }])
  t.equal(joinMig([], q, 0).instances.size, 0)
  t.same(parseQueryMig('garbage\nGPU nope\n'), [])
})

t.test('the capture\'s --query-gpu row: mig.mode.current Enabled and utilization [N/A] → null, never 0', async t => {
  const [header = '', , load = ''] = fixture('query-gpu-h100-mig.csv').split('\n')
  const fields = header.split(', ').map(h => h.replace(/ \[.*\]$/, ''))
  const r = parseGpuLine(fields, load)
  t.ok(r.ok)
  if (r.ok) t.match(r.gpu, { migMode: 'Enabled', utilizationGpuPct: null, utilizationMemoryPct: null, powerDrawAverageW: 433.78, memoryUsedMib: 11125 })
})

t.test('the real collector on the simulator\'s MIG host: instances on the snapshot, /v1/gpu/status, /metrics and the uplink rows', async t => {
  const statePath = join(t.testdir(), 'sim.json')
  writeSimState(statePath, { gpus: [migCaptureGpu(0), defaultSimGpu(1)], processes: migCaptureProcesses(0) })
  const collector = createCollector({
    nvidiaSmiPath: SIM, intervalMs: 200, computeAppsIntervalMs: 300, log: createMemoryLog(), env: { NVIDIA_SMI_SIM_STATE: statePath },
  })
  t.teardown(() => collector.stop())
  await collector.start()
  await waitUntil(() => collector.latest()?.gpus[0]?.migInstances != null && collector.computeApps() !== null, 'a snapshot with MIG devices', 60_000)
  const snapshot = collector.latest()!
  const expected = CAPTURE_INSTANCES.map((m, i) => ({ ...m, uuid: `MIG-0000000${i}-0000-0000-0000-00000000000${i}`, memoryFreeMib: m.memoryTotalMib - m.memoryUsedMib }))
  t.same(snapshot.gpus[0]!.migInstances, expected, 'the capture\'s devices, memory from the processes in GPU instance 2')
  t.match(snapshot.gpus[0], { migMode: 'Enabled', utilizationGpuPct: null, powerDrawInstantW: 432.35 })
  t.match(snapshot.gpus[1], { migMode: 'Disabled', utilizationGpuPct: 0 })
  t.notOk('migInstances' in snapshot.gpus[1]!, 'no MIG devices on a GPU without MIG')

  const { app } = await agentHarness({ deps: { source: collector, now: Date.now } })
  const res = await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })
  const status = await res.json() as any
  t.equal(res.status, 200, JSON.stringify(status).slice(0, 300))
  t.match(status.gpus[0], {
    index: 0, utilization: { gpu_percent: null }, mig_mode: 'Enabled',
    mig_instances: [{ gpu_instance_id: 2, compute_instance_id: 0, profile: '3g.40gb', uuid: expected[0]!.uuid, mig_device_index: 0, memory: { total_mb: 40448, used_mb: 11091, total_gb: 39.5 } }],
  })
  t.equal(status.gpus[0].mig_instances.length, 4)
  t.match(status.gpus[1], { mig_mode: 'Disabled', mig_instances: null })
  t.match(status.processes.find((p: any) => p.pid === 21198), { gpu_index: 0, gpu_instance_id: 2, compute_instance_id: 0, memory_mb: 7484 })

  const metrics = await (await app.request('/metrics')).text()
  const used = metrics.split('\n').filter(l => l.startsWith('DCGM_FI_DEV_FB_USED{'))
  t.same(used, [
    ...expected.map(m => `DCGM_FI_DEV_FB_USED{gpu="0",UUID="${snapshot.gpus[0]!.uuid}",pci_bus_id="00000000:00:09.0",device="nvidia0",modelName="NVIDIA H100 80GB HBM3",GPU_I_PROFILE="${m.profile}",GPU_I_ID="${m.gpuInstanceId}",Hostname="gpu-host-01"} ${m.memoryUsedMib}`),
    `DCGM_FI_DEV_FB_USED{gpu="1",UUID="${snapshot.gpus[1]!.uuid}",pci_bus_id="00000000:28:00.0",device="nvidia1",modelName="NVIDIA B200",Hostname="gpu-host-01"} 0`,
  ], 'per instance on the MIG GPU (dcgm-exporter label order), whole GPU elsewhere')
  t.match(metrics, /^DCGM_FI_DEV_POWER_USAGE\{gpu="0",[^}]*Hostname="gpu-host-01"\} 433\.78$/m, 'power stays a whole-GPU series')
  t.notMatch(metrics, /DCGM_FI_DEV_GPU_UTIL\{gpu="0"/, 'no utilization series for the MIG GPU ([N/A] is not 0)')

  const rows = toGpuStatRows(snapshot)
  t.match(rows[0], { utilization_pct: null, mig_mode: 'Enabled', mig_instances: [{ gpu_instance_id: 2, compute_instance_id: 0, profile: '3g.40gb', memory_total_mb: 40448, memory_used_mb: 11091 }] })
  t.same([rows[1]!.mig_mode, 'mig_instances' in rows[1]!], ['Disabled', false])

  // MIG turned off (after a reset): the devices go away with it.
  updateSimState(statePath, s => { delete s.gpus[0]!.mig })
  await waitUntil(() => collector.latest()?.gpus[0]?.migMode === 'Disabled', 'MIG disabled', 60_000)
  t.notOk('migInstances' in collector.latest()!.gpus[0]!)
})
