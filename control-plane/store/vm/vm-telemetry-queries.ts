import type { GpuHistoryBucket } from '../gpu-history-repository.ts'
import type { TelemetryScope } from '../telemetry-repository.ts'
import { NODE_POWER_SERIES, SAMPLE_SERIES, seriesFor, VM_FIELDS } from './vm-series.ts'

/** MetricsQL for the telemetry reads (written once here; the repository runs and folds them). */

/** A label value as a MetricsQL string (JSON's escapes are MetricsQL's). */
export const quote = (s: string) => JSON.stringify(s)

/** The label matchers of a scope (the fleet: none). */
export function scopeMatchers (scope: TelemetryScope): string {
  switch (scope.kind) {
    case 'fleet': return ''
    case 'cluster': return `cluster_id=${quote(String(scope.clusterId))}`
    case 'node': return `node_id=${quote(String(scope.nodeId))}`
  }
}

/**
 * Seed 000's power per minute, evaluated at the minute's last millisecond over a 1 m window
 * (VictoriaMetrics' windows are (t - d, t], so [m, m + 60 s) for whole milliseconds):
 * - a node: the MAX of its tick sums;
 * - a cluster or the fleet: the MAX over the minute's seconds of the sum of each node's latest
 *   tick in that second. The subquery's points sit on whole seconds t; `offset -999ms` moves
 *   each one's 1 s window to (t - 1 ms, t + 999 ms], i.e. the second [t, t + 1 s).
 * A node may have several series (a tick completed by a later push, `part`; a new hostname):
 * its value is their MAX (a tick's sum only grows), never their sum.
 */
export function minutePowerExpr (scope: TelemetryScope): string {
  const sel = `${NODE_POWER_SERIES}{${scopeMatchers(scope)}}`
  return scope.kind === 'node'
    ? `max(max_over_time(${sel}[1m]))`
    : `max_over_time(sum(max by (node_id) (last_over_time(${sel}[1s] offset -999ms)))[1m:1s])`
}

/** Every minute rollup column of a scope, one labelled series (`q`) each. */
export function minuteRollupExpr (scope: TelemetryScope): string {
  const m = scopeMatchers(scope)
  const of = (series: string) => `${series}{${m}}[1m]`
  const power = seriesFor('powerDrawW')
  const util = seriesFor('utilizationPct')
  const temp = seriesFor('tempC')
  const parts: Array<[string, string]> = [
    ['power_max', minutePowerExpr(scope)],
    ['power_sum', `sum(sum_over_time(${of(power)}))`],
    ['power_n', `sum(count_over_time(${of(power)}))`],
    ['util_sum', `sum(sum_over_time(${of(util)}))`],
    ['util_n', `sum(count_over_time(${of(util)}))`],
    ['util_max', `max(max_over_time(${of(util)}))`],
    ['temp_sum', `sum(sum_over_time(${of(temp)}))`],
    ['temp_n', `sum(count_over_time(${of(temp)}))`],
    ['samples', `sum(count_over_time(${of(SAMPLE_SERIES)}))`],
  ]
  return `union(${parts.map(([q, e]) => `label_set(${e}, "q", ${quote(q)})`).join(', ')})`
}

/**
 * For latest: per series of one GPU identity, the time of its last row (`q="at"`), and per
 * reading series its last value and time (`q="v"` / `q="t"`, named), over `lookback`. One
 * selector for every reading keeps the query short (the matchers are not repeated per reading).
 */
export function latestExpr (matchers: string, series: readonly string[], lookbackMs: number): string {
  const w = `[${lookbackMs}ms]`
  const readings = `{__name__=~${quote(series.join('|'))}${matchers === '' ? '' : `, ${matchers}`}}${w}`
  return `union(${[
    `label_set(tlast_over_time(${SAMPLE_SERIES}{${matchers}}${w}), "q", "at")`,
    `label_set(last_over_time(${readings}), "q", "v")`,
    `label_set(tlast_over_time(${readings}) keep_metric_names, "q", "t")`,
  ].join(', ')})`
}

/** Rows stored for a scope in the `windowMs` before the evaluation time. */
export function countExpr (matchers: string, windowMs: number): string {
  return `sum(count_over_time(${SAMPLE_SERIES}{${matchers}}[${windowMs}ms]))`
}

/**
 * One GPU's raw samples (every series of the row: its presence and each reading) in the
 * `windowMs` before the evaluation time: a range selector in an instant query answers the raw
 * samples themselves, with their names.
 */
export function historyExpr (nodeId: number, gpuId: number, windowMs: number): string {
  const names = [SAMPLE_SERIES, ...VM_FIELDS.map(f => f.series)].join('|')
  return `{__name__=~${quote(names)}, node_id=${quote(String(nodeId))}, gpu=${quote(String(gpuId))}}[${windowMs}ms]`
}

/** What gpuHistoryBucketsExpr labels each series with (`q`): a GpuHistoryBucket column. */
export type GpuHistoryColumn = Exclude<keyof GpuHistoryBucket, 'gpuId' | 'bucketAt'>

/**
 * Per-GPU history: each GpuHistoryBucket column of one node's (or GPU's) samples in the
 * `windowMs` before the evaluation time, per GPU (`gpu`), as one labelled series (`q`). Sums
 * and counts are added over a GPU's series (a new hostname or UUID label starts another),
 * maxima maxed: the columns the SQL store aggregates from gpu_stats.
 */
export function gpuHistoryBucketsExpr (nodeId: number, gpuId: number | undefined, windowMs: number): string {
  const m = `node_id=${quote(String(nodeId))}${gpuId === undefined ? '' : `, gpu=${quote(String(gpuId))}`}`
  const of = (series: string) => `${series}{${m}}[${windowMs}ms]`
  const util = seriesFor('utilizationPct')
  const temp = seriesFor('tempC')
  const mem = seriesFor('memoryUsedMb')
  const power = seriesFor('powerDrawW')
  const parts: Array<[GpuHistoryColumn, string]> = [
    ['samples', `sum by (gpu) (count_over_time(${of(SAMPLE_SERIES)}))`],
    ...([['util', util], ['temp', temp], ['mem', mem], ['power', power]] as const).flatMap(([name, series]): Array<[GpuHistoryColumn, string]> => [
      [`${name}Sum`, `sum by (gpu) (sum_over_time(${of(series)}))`],
      [`${name}N`, `sum by (gpu) (count_over_time(${of(series)}))`],
      [`${name}Max`, `max by (gpu) (max_over_time(${of(series)}))`],
    ]),
    ['memTotal', `max by (gpu) (max_over_time(${of(seriesFor('memoryTotalMb'))}))`],
  ]
  return `union(${parts.map(([q, e]) => `label_set(${e}, "q", ${quote(q)})`).join(', ')})`
}
