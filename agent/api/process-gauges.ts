import { Gauge, type Registry } from 'prom-client'
import type { GpuReading } from '../collector/snapshot.ts'
import type { GpuProcess } from '../../shared/wire/job-execution.ts'

const PREFIX = 'gpufleet_agent_'

export interface ProcessGaugeSource {
  hostname: string
  processes: () => readonly GpuProcess[] | null
  /** The newest snapshot's GPUs: a process's GPU index by its UUID. */
  gpus: () => readonly GpuReading[]
}

/**
 * GPU memory and process counts per GPU and executed job (dcgm-exporter's labels: `gpu` index,
 * `UUID`, `Hostname`; `job` is the job id, '' for a process of no executed job), plus the
 * processes of no executed job on their own: on a node that runs jobs, those are someone else's.
 */
export function registerProcessGauges (registry: Registry, src: ProcessGaugeSource): void {
  const labelNames = ['gpu', 'UUID', 'job', 'Hostname']
  const groups = () => {
    const index = new Map(src.gpus().flatMap(g => (g.uuid === null ? [] : [[g.uuid, g.index] as const])))
    const out = new Map<string, { labels: Record<string, string>, memory: number, count: number }>()
    for (const p of src.processes() ?? []) {
      const labels = { gpu: String(index.get(p.gpu_uuid) ?? ''), UUID: p.gpu_uuid, job: p.job_id === null ? '' : String(p.job_id), Hostname: src.hostname }
      const k = `${labels.UUID}/${labels.job}`
      const g = out.get(k) ?? { labels, memory: 0, count: 0 }
      g.memory += p.used_memory_mib ?? 0
      g.count++
      out.set(k, g)
    }
    return [...out.values()]
  }
  new Gauge({
    name: `${PREFIX}gpu_process_memory_mib`,
    help: 'GPU memory used by compute processes, per GPU and executed job (job="" for processes of no executed job), in MiB.',
    labelNames,
    registers: [registry],
    collect () {
      this.reset()
      for (const g of groups()) this.set(g.labels, g.memory)
    },
  })
  new Gauge({
    name: `${PREFIX}gpu_processes`,
    help: 'GPU compute processes, per GPU and executed job (job="" for processes of no executed job).',
    labelNames,
    registers: [registry],
    collect () {
      this.reset()
      for (const g of groups()) this.set(g.labels, g.count)
    },
  })
  new Gauge({
    name: `${PREFIX}gpu_processes_without_job`,
    help: 'GPU compute processes that belong to no job this agent executes.',
    registers: [registry],
    collect () { this.set((src.processes() ?? []).filter(p => p.job_id === null).length) },
  })
}
