import type { AlertBreach, AlertSubject } from '../../store/alert-repository.ts'
import type { Store } from '../../store/store.ts'

export const THRESHOLD_UNITS = ['minutes', 'percent', 'celsius'] as const

/** What a rule's threshold means and the range PATCH accepts for it. */
export interface ThresholdSpec {
  unit: typeof THRESHOLD_UNITS[number]
  /** How the API docs name the unit ("percent of quota", "°C"). */
  label: string
  min: number
  max: number
  integer: boolean
}

/** The row a rule type starts with where the database has none (the alerts loop inserts it). */
export interface RuleRowDefaults {
  threshold: number
  enabled: boolean
  description: string
}

/** One rule's judgement of the fleet: subjects in breach, and subjects it could not judge. */
export interface Findings {
  breaches: AlertBreach[]
  unknown: AlertSubject[]
}

/** What a rule may read. */
export type RuleReads = Pick<Store, 'dashboard' | 'fleet' | 'processes'>

/** A rule type as its file writes it: the read apart from the judge, so tests feed the judge literal data. */
export interface AlertRuleDefinition<T extends string, D> {
  type: T
  threshold: ThresholdSpec
  defaults: RuleRowDefaults
  /** What one pass at `now` needs from the store. */
  read: (store: RuleReads, threshold: number, now: number) => Promise<D>
  /** Which subjects breach `threshold` in what `read` returned (no I/O). */
  judge: (data: D, threshold: number, now: number) => Findings
}

/** A rule type as the registry (alert-rules.ts) and its users see it. */
export interface AlertRuleKind<T extends string = string> {
  readonly type: T
  readonly threshold: ThresholdSpec
  readonly defaults: RuleRowDefaults
  /** Reads and judges one pass at `now`. */
  evaluate: (store: RuleReads, threshold: number, now: number) => Promise<Findings>
}

/** Ties a definition's read to its judge (their data type stays inside the rule's file). */
export function defineAlertRule<T extends string, D> (def: AlertRuleDefinition<T, D>): AlertRuleKind<T> & AlertRuleDefinition<T, D> {
  return Object.freeze({
    ...def,
    evaluate: async (store: RuleReads, threshold: number, now: number) => def.judge(await def.read(store, threshold, now), threshold, now),
  })
}
