import type { SimGpu } from '../sim-state.ts'

// "On MIG-enabled GPUs, querying the utilization of encoder, decoder, jpeg, ofa, gpu, and
// memory is not currently supported" (--help-query-gpu); the capture prints [N/A] for each.
const NO_UTILIZATION_ON_MIG = new Set([
  'utilization.gpu', 'utilization.memory', 'utilization.encoder', 'utilization.decoder', 'utilization.jpeg', 'utilization.ofa',
])

/** The --query-gpu text MIG changes, or undefined where MIG makes no difference. */
export function migFieldValue (field: string, gpu: SimGpu): string | undefined {
  if (field === 'mig.mode.current' || field === 'mig.mode.pending') return gpu.mig ? 'Enabled' : 'Disabled'
  if (gpu.mig && NO_UTILIZATION_ON_MIG.has(field)) return '[N/A]'
  return undefined
}
