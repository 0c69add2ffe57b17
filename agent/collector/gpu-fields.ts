/**
 * The --query-gpu fields the agent wants, by their canonical (590.48) names. The probe keeps
 * the ones this driver knows; the loop queries only those. Order is the column order.
 *
 * power: `power.draw.instant` is what seed 000 wants (on Ampere and newer `power.draw` is a
 * 1 s average, the same reading as `power.draw.average`); older drivers lack both newer
 * names, and then `power.draw` stands in for each.
 */
export const DESIRED_GPU_FIELDS = [
  'index',
  'uuid',
  'name',
  'pci.bus_id',
  'memory.total',
  'memory.reserved',
  'memory.used',
  'memory.free',
  'utilization.gpu',
  'utilization.memory',
  'temperature.gpu',
  'temperature.memory',
  'power.draw',
  'power.draw.average',
  'power.draw.instant',
  'power.limit',
  'enforced.power.limit',
  'clocks.current.sm',
  'clocks.current.memory',
  'pstate',
  'ecc.errors.corrected.volatile.total',
  'ecc.errors.uncorrected.volatile.total',
  // Health: why clocks are held down (a bitmask), and the row remapper's state. Drivers
  // before the "event reasons" rename lack the first; pre-Ampere GPUs print [N/A] for the rest.
  'clocks_event_reasons.active',
  'remapped_rows.correctable',
  'remapped_rows.uncorrectable',
  'remapped_rows.pending',
  'remapped_rows.failure',
  // Enabled: utilization is [N/A] and the memory is split into MIG devices (read with -L/-q).
  'mig.mode.current',
] as const

/** Without these a row is useless: which GPU, and how much memory (purge, scheduling). */
export const MANDATORY_GPU_FIELDS = ['index', 'memory.total', 'memory.used'] as const

export const COMPUTE_APPS_FIELDS = ['gpu_uuid', 'pid', 'process_name', 'used_gpu_memory'] as const
