import type { RuleDefaults } from '../../store/alert-repository.ts'
import type { AlertRuleKind } from './alert-rule-kind.ts'
import { healthDegradedRule } from './health-degraded-rule.ts'
import { idleGpuRule } from './idle-gpu-rule.ts'
import { quotaBreachRule } from './quota-breach-rule.ts'
import { unallocatedGpuUseRule } from './unallocated-gpu-use-rule.ts'

/**
 * Every alert rule type, in the seed's order; evaluation, the PATCH validation, the API schemas
 * and rendering all derive from this list, and the alerts loop inserts a missing type's row from
 * its defaults when it starts. A new type is a file in this folder and one entry here (the
 * database lists no types, and no migration seeds rows after the first three).
 */
export const ALERT_RULES = [idleGpuRule, quotaBreachRule, healthDegradedRule, unallocatedGpuUseRule] as const

export type AlertRuleType = typeof ALERT_RULES[number]['type']

export const ALERT_RULE_TYPES = ALERT_RULES.map(r => r.type) as unknown as readonly [AlertRuleType, ...AlertRuleType[]]

/**
 * Finds a type in `rules`. A stored rule whose type no file registers (a row written by a newer
 * version) throws: its evaluation fails like any failing rule (logged, the others still run).
 */
export function alertRuleLookup<T extends string> (rules: ReadonlyArray<AlertRuleKind<T>>): (type: string) => AlertRuleKind<T> {
  const byType: ReadonlyMap<string, AlertRuleKind<T>> = new Map(rules.map(r => [r.type, r]))
  return type => {
    const kind = byType.get(type)
    if (kind === undefined) throw new Error(`alert rule type ${type} is not registered (control-plane/alerts/rules/alert-rules.ts)`)
    return kind
  }
}

/** The registered rule type named `type` (throws for one no file registers). */
export const alertRuleKind: (type: string) => AlertRuleKind<AlertRuleType> = alertRuleLookup<AlertRuleType>(ALERT_RULES)

/** The rows `rules` start with, for AlertRepository.ensureRules. */
export function ruleRowDefaults (rules: readonly AlertRuleKind[]): RuleDefaults[] {
  return rules.map(r => ({ ruleType: r.type, ...r.defaults }))
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
