import { GPU_FIELDS } from '../../shared/gpu-fields.ts'

/**
 * The --query-gpu fields the agent wants, by their canonical (590.48) names: which GPU, then
 * each metric of shared/gpu-fields.ts with its stand-in (older drivers lack the newer names),
 * then the MIG mode. The probe keeps the ones this driver knows; the loop queries only those.
 * Order is the column order.
 */
export const DESIRED_GPU_FIELDS: readonly string[] = [...new Set([
  'index',
  'uuid',
  'name',
  'pci.bus_id',
  ...GPU_FIELDS.flatMap(f => 'fallback' in f ? [f.fallback, f.smi] : [f.smi]),
  // Enabled: utilization is [N/A] and the memory is split into MIG devices (read with -L/-q).
  'mig.mode.current',
])]

/** Without these a row is useless: which GPU, and how much memory (purge, scheduling). */
export const MANDATORY_GPU_FIELDS = ['index', 'memory.total', 'memory.used'] as const

export const COMPUTE_APPS_FIELDS = ['gpu_uuid', 'pid', 'process_name', 'used_gpu_memory'] as const
