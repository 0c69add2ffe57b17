import type { AlertBreach, AlertSubject } from '../../store/alert-repository.ts'
import type { StoredProcess } from '../../store/process-repository.ts'
import { PROCESS_REPORT_STALE_MS } from '../../fleet/process-report-stale.ts'
import { defineAlertRule, type Findings } from './alert-rule-kind.ts'

const subjectOf = (p: StoredProcess): AlertSubject => p.gpuId === null
  // A GPU the fleet does not know (not registered): the node is the subject.
  ? { type: 'node', id: p.nodeId, name: p.hostname }
  : { type: 'gpu', id: p.gpuId, name: `${p.hostname}/${p.gpuIndex ?? '?'}` }

const describe = (p: StoredProcess): string => p.verdict === 'unallocated'
  ? `pid ${p.pid} ${JSON.stringify(p.processName.slice(0, 80))}`
  : `pid ${p.pid} ${JSON.stringify(p.processName.slice(0, 80))} of job ${p.jobId} outside its allocation`

/**
 * unallocated_gpu_use, threshold = N minutes: per GPU (per node where the fleet does not know
 * the GPU's UUID), a compute process judged unallocated or outside its job's allocation without
 * a break for at least N minutes, as the node's agent last reported it. A node whose last report
 * is older than 2 min cannot be judged: its open events stay as they are.
 */
export function unallocatedGpuUseBreaches (flagged: readonly StoredProcess[], thresholdMin: number, now: number): Findings {
  const out: Findings = { breaches: [], unknown: [] }
  const bySubject = new Map<string, { subject: AlertSubject, long: StoredProcess[], stale: boolean }>()
  for (const p of flagged) {
    const subject = subjectOf(p)
    const k = `${subject.type}:${subject.id}`
    const entry = bySubject.get(k) ?? { subject, long: [], stale: false }
    bySubject.set(k, entry)
    if (p.reportedAt < now - PROCESS_REPORT_STALE_MS) entry.stale = true
    else if (p.flaggedSince !== null && p.flaggedSince <= now - thresholdMin * 60_000) entry.long.push(p)
  }
  for (const { subject, long, stale } of bySubject.values()) {
    if (stale) {
      out.unknown.push(subject)
      continue
    }
    if (long.length === 0) continue
    const tenants = new Set(long.map(p => p.tenantId))
    const breach: AlertBreach = {
      subject,
      // The tenant whose job strayed, when exactly one did; unallocated use concerns no tenant.
      tenantId: tenants.size === 1 ? [...tenants][0] ?? null : null,
      message: `GPU ${subject.name} used outside any allocation for ${thresholdMin}+ min: ${long.slice(0, 3).map(describe).join('; ')}` +
        (long.length > 3 ? ` and ${long.length - 3} more` : ''),
    }
    out.breaches.push(breach)
  }
  return out
}

export const unallocatedGpuUseRule = defineAlertRule({
  type: 'unallocated_gpu_use',
  threshold: { unit: 'minutes', label: 'minutes', min: 1, max: 1440, integer: true },
  defaults: {
    threshold: 2,
    enabled: true,
    description: 'A GPU process runs on a GPU no running job holds, or outside its job\'s allocation, for threshold minutes',
  },
  read: store => store.processes.list({ flagged: true }),
  judge: unallocatedGpuUseBreaches,
})
