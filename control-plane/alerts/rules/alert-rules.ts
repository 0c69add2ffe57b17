import type { AlertRuleKind } from './alert-rule-kind.ts'
import { healthDegradedRule } from './health-degraded-rule.ts'
import { idleGpuRule } from './idle-gpu-rule.ts'
import { quotaBreachRule } from './quota-breach-rule.ts'

/**
 * Every alert rule type, in the seed's order; evaluation, the PATCH validation, the API schemas
 * and rendering all derive from this list. A new type is a file in this folder, one entry here
 * and a migration that seeds its row (the database does not list the types).
 */
export const ALERT_RULES = [idleGpuRule, quotaBreachRule, healthDegradedRule] as const

export type AlertRuleType = typeof ALERT_RULES[number]['type']

export const ALERT_RULE_TYPES = ALERT_RULES.map(r => r.type) as unknown as readonly [AlertRuleType, ...AlertRuleType[]]

const BY_TYPE: ReadonlyMap<string, AlertRuleKind<AlertRuleType>> = new Map(ALERT_RULES.map(r => [r.type, r]))

/**
 * The registered rule type named `type`. A stored rule whose type no file registers (a row
 * written by a newer version) throws: its evaluation fails like any failing rule (logged, the
 * others still run).
 */
export function alertRuleKind (type: string): AlertRuleKind<AlertRuleType> {
  const kind = BY_TYPE.get(type)
  if (kind === undefined) throw new Error(`alert rule type ${type} is not registered (control-plane/alerts/rules/alert-rules.ts)`)
  return kind
}

/** Why `value` is not a valid threshold for `type`, or null when it is. */
export function thresholdProblem (type: string, value: number): string | null {
  const spec = alertRuleKind(type).threshold
  const kind = spec.integer ? 'an integer' : 'a number'
  if (!Number.isFinite(value) || (spec.integer && !Number.isInteger(value)) || value < spec.min || value > spec.max) {
    return `threshold of ${type} must be ${kind} from ${spec.min} to ${spec.max} (${spec.unit})`
  }
  return null
}

/** The threshold's meaning per type, for the API docs ("idle_gpu: minutes (integer 1–240); …"). */
export const THRESHOLD_HELP = ALERT_RULES
  .map(r => `${r.type}: ${r.threshold.label} (${r.threshold.integer ? 'integer ' : ''}${r.threshold.min}–${r.threshold.max})`)
  .join('; ')
