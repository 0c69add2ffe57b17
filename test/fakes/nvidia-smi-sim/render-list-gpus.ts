import type { LiveGpu } from './sim-host.ts'

/**
 * `nvidia-smi -L`: one line per GPU and, on a MIG GPU, one per MIG device under it, as the
 * 590.48.01 capture prints them (`  MIG 3g.40gb     Device  0: (UUID: MIG-…)`). The padding of
 * longer profile names (`1g.10gb+me`) is inferred from the capture's 7-character ones.
 */
export function renderListGpus (gpus: readonly LiveGpu[]): string {
  return gpus.map(g => `GPU ${g.index}: ${g.name} (UUID: ${g.uuid})\n` +
    (g.mig?.instances ?? []).map((m, i) => `  MIG ${m.profile.padEnd(12)}Device ${String(i).padStart(2)}: (UUID: ${m.uuid})\n`).join('')).join('')
}
