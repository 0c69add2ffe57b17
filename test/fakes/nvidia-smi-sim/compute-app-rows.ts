import type { SimProcess } from '../sim-state.ts'
import type { FieldCatalog } from './field-catalog.ts'
import { boardSerial, formatTimestamp } from './gpu-field-value.ts'
import { renderCell } from './render-csv.ts'
import type { CsvFormat } from './render-csv.ts'
import type { LiveGpu } from './sim-host.ts'

function appFieldValue (field: string, proc: SimProcess, gpu: LiveGpu, timestamp: string): string {
  switch (field) {
    case 'timestamp': return timestamp
    case 'gpu_name': return gpu.name
    case 'gpu_bus_id': return gpu.pciBusId
    case 'gpu_serial': return boardSerial(gpu)
    case 'gpu_uuid': return gpu.uuid
    case 'pid': return String(proc.pid)
    case 'process_name': return proc.name
    case 'used_gpu_memory': return String(Math.round(proc.usedMemoryMib))
    default: return '[N/A]'
  }
}

/** One row per live compute process on the selected GPUs, GPU by GPU like the real CLI. */
export function renderComputeAppRows (
  gpus: readonly LiveGpu[],
  processes: readonly SimProcess[],
  fields: readonly string[],
  catalog: FieldCatalog,
  format: CsvFormat,
  now: Date,
): string[] {
  const timestamp = formatTimestamp(now)
  const rows: string[] = []
  for (const gpu of gpus) {
    for (const proc of processes.filter(p => p.gpuIndex === gpu.index)) {
      rows.push(fields.map(f => renderCell(appFieldValue(f, proc, gpu, timestamp), catalog.units.get(f), format)).join(', '))
    }
  }
  return rows
}
