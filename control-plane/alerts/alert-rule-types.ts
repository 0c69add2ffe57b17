import type { AlertBreach, AlertRuleType, AlertSubject } from '../store/alert-repository.ts'

/** Seed 003's active/idle line (control-plane/fleet/gpu-status-for.ts): below it a held GPU is idle. */
export const IDLE_BELOW_PCT = 10

/** What a rule's threshold means and the range PATCH accepts for it. */
export interface ThresholdSpec {
  unit: 'minutes' | 'percent' | 'celsius'
  min: number
  max: number
  integer: boolean
}

export const THRESHOLD_SPECS: Readonly<Record<AlertRuleType, ThresholdSpec>> = Object.freeze({
  // Minutes a held GPU stays idle. Every 30 s pass reads the window's raw samples of every held
  // GPU (no per-GPU rollups exist), so the window is capped at 4 h.
  idle_gpu: { unit: 'minutes', min: 1, max: 240, integer: true },
  // Percent of the tenant's quota in use; the scheduler never lets it pass 100.
  quota_breach: { unit: 'percent', min: 1, max: 100, integer: false },
  // GPU temperature in °C; datacenter GPUs throttle around 85–90 and shut down near 100+.
  health_degraded: { unit: 'celsius', min: 40, max: 120, integer: false },
})

/** Why `value` is not a valid threshold for `type`, or null when it is. */
export function thresholdProblem (type: AlertRuleType, value: number): string | null {
  const spec = THRESHOLD_SPECS[type]
  const kind = spec.integer ? 'an integer' : 'a number'
  if (!Number.isFinite(value) || (spec.integer && !Number.isInteger(value)) || value < spec.min || value > spec.max) {
    return `threshold of ${type} must be ${kind} from ${spec.min} to ${spec.max} (${spec.unit})`
  }
  return null
}

/** One rule's judgement of the fleet: subjects in breach, and subjects it could not judge. */
export interface Findings {
  breaches: AlertBreach[]
  unknown: AlertSubject[]
}
