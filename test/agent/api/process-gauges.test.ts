import t from 'tap'
import { createAgentMetrics } from '../../../agent/api/agent-metrics.ts'
import type { GpuProcess } from '../../../shared/wire/job-execution.ts'
import { SEED_TIME, fakeSource, promSamples, seedGpu, seedSnapshot, uplinkStats } from './fixtures.ts'

const proc = (gpu_uuid: string, pid: number, mem: number | null, job_id: number | null): GpuProcess =>
  ({ gpu_uuid, pid, process_name: 'p', used_memory_mib: mem, job_id, run: job_id === null ? null : 1 })

t.test('attributed memory and process counts per GPU and job; processes of no job counted apart', async t => {
  const gpus = [seedGpu({ index: 0, uuid: 'GPU-0000' }), seedGpu({ index: 1, uuid: 'GPU-1111' })]
  let processes: GpuProcess[] | null = [
    proc('GPU-0000', 1, 1000, 7), proc('GPU-0000', 2, 500, 7), proc('GPU-0000', 3, 300, null),
    proc('GPU-1111', 4, null, null), proc('GPU-9999', 5, 64, 8),
  ]
  const metrics = createAgentMetrics({
    source: fakeSource(seedSnapshot(SEED_TIME, gpus)), uplinkStats: () => uplinkStats(), hostname: 'h1', staleAfterMs: 10_000,
    now: () => SEED_TIME, processMetrics: false, processes: () => processes,
  })
  const text = await metrics.render()
  const rows = (name: string) => promSamples(text, name).map(s => [s.labels.gpu, s.labels.UUID, s.labels.job, s.labels.Hostname, s.value])
  t.same(rows('gpufleet_agent_gpu_process_memory_mib'), [
    ['0', 'GPU-0000', '7', 'h1', 1500], ['0', 'GPU-0000', '', 'h1', 300], ['1', 'GPU-1111', '', 'h1', 0], ['', 'GPU-9999', '8', 'h1', 64],
  ])
  t.same(rows('gpufleet_agent_gpu_processes'), [
    ['0', 'GPU-0000', '7', 'h1', 2], ['0', 'GPU-0000', '', 'h1', 1], ['1', 'GPU-1111', '', 'h1', 1], ['', 'GPU-9999', '8', 'h1', 1],
  ])
  t.same(promSamples(text, 'gpufleet_agent_gpu_processes_without_job').map(s => s.value), [2])
  processes = null
  const none = await metrics.render()
  t.same(promSamples(none, 'gpufleet_agent_gpu_process_memory_mib'), [], 'no reading: no series')
  t.same(promSamples(none, 'gpufleet_agent_gpu_processes_without_job').map(s => s.value), [0])
})
