import type { HeldGpuUtilization } from '../store/dashboard-repository.ts'
import { IDLE_BELOW_PCT, type Findings } from './alert-rule-types.ts'

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
