import type { HeldGpuUtilization } from '../../store/dashboard-repository.ts'
import { defineAlertRule, type Findings } from './alert-rule-kind.ts'

/** Seed 003's active/idle line (control-plane/fleet/gpu-status-for.ts): below it a held GPU is idle. */
export const IDLE_BELOW_PCT = 10

const round1 = (x: number): number => Math.round(x * 10) / 10

/**
 * idle_gpu, threshold = N minutes: a GPU held by a running job for at least the last N minutes
 * whose every minute in that window averaged below 10 % utilization (per-minute means, so one
 * busy second does not reset the clock but one busy minute does). `held` is the store's
 * utilization over [now - N min, now). A held GPU with no samples in the window cannot be
 * judged (agent silent: the health rule covers that), so its open event stays as it is; nor can
 * one with a minute of samples that all lack a utilization (MIG GPUs report [N/A]): unknown is
 * not idle.
 */
export function idleGpuBreaches (held: readonly HeldGpuUtilization[], thresholdMin: number, now: number): Findings {
  const from = now - thresholdMin * 60_000
  const out: Findings = { breaches: [], unknown: [] }
  for (const h of held) {
    const subject = { type: 'gpu' as const, id: h.gpuId, name: `${h.hostname}/${h.gpuIndex}` }
    if (h.assignedAt > from) continue
    if (h.samples === 0 || h.busiestMinutePct === null || h.unknownMinutes > 0) {
      out.unknown.push(subject)
      continue
    }
    if (h.busiestMinutePct >= IDLE_BELOW_PCT) continue
    const tenant = h.tenantName === null ? '' : `, tenant ${h.tenantName}`
    out.breaches.push({
      subject,
      tenantId: h.tenantId,
      message: `GPU ${subject.name} held by job ${h.jobId} "${h.jobName}"${tenant} below ${IDLE_BELOW_PCT}% utilization ` +
        `for ${thresholdMin} min (mean ${round1(h.meanPct ?? 0)}%)`,
    })
  }
  return out
}

export const idleGpuRule = defineAlertRule({
  type: 'idle_gpu',
  // Minutes a held GPU stays idle. Every 30 s pass reads the window's raw samples of every held
  // GPU (no per-GPU rollups exist), so the window is capped at 4 h.
  threshold: { unit: 'minutes', label: 'minutes', min: 1, max: 240, integer: true },
  defaults: {
    threshold: 60,
    enabled: true,
    description: `A GPU held by a running job stays below ${IDLE_BELOW_PCT}% utilization (every minute's mean) for threshold minutes`,
  },
  read: (store, thresholdMin, now) => store.dashboard.heldGpuUtilization(now - thresholdMin * 60_000, now),
  judge: idleGpuBreaches,
})
