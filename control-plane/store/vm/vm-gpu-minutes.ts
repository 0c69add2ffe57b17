import type { VmClient } from './create-vm-client.ts'
import { SAMPLE_SERIES, seriesFor } from './vm-series.ts'
import { quote } from './vm-telemetry-queries.ts'
import { splitAtSteps } from './split-at-steps.ts'

const MINUTE = 60_000
const RANGE_MINUTES = 10_000
const NODES_PER_QUERY = 300

/** One GPU's samples in one UTC minute (clipped to the window asked for). */
export interface GpuMinute {
  /** Samples with a utilization reading, and their sum. */
  n: number
  total: number
  /** Samples (rows) at all. */
  rows: number
}

export const gpuKey = (nodeId: number, gpuIndex: number) => `${nodeId}:${gpuIndex}`

/**
 * Per GPU (`gpuKey`) and UTC minute start, its utilization samples recorded in [fromAt, toAt):
 * the whole minutes through one range query evaluated at each minute's last millisecond, a
 * partial first or last minute through an instant query whose window is exactly its part
 * (VictoriaMetrics' windows are (t - d, t]). What the SQL store's utilization reads group
 * by `recorded_at / 60000`.
 */
export async function gpuMinutes (client: VmClient, gpus: ReadonlyArray<{ nodeId: number, gpuIndex: number }>, fromAt: number, toAt: number): Promise<Map<string, Map<number, GpuMinute>>> {
  const out = new Map<string, Map<number, GpuMinute>>()
  if (gpus.length === 0 || toAt <= fromAt) return out
  const wanted = new Set(gpus.map(g => gpuKey(g.nodeId, g.gpuIndex)))
  const allNodes = [...new Set(gpus.map(g => g.nodeId))].sort((a, b) => a - b)
  // A few hundred nodes per query: the node matcher is repeated in it (-search.maxQueryLen: 16 KiB).
  for (let i = 0; i < allNodes.length; i += NODES_PER_QUERY) {
    await nodeMinutes(client, allNodes.slice(i, i + NODES_PER_QUERY), wanted, fromAt, toAt, out)
  }
  return out
}

async function nodeMinutes (client: VmClient, nodes: readonly number[], wanted: ReadonlySet<string>, fromAt: number, toAt: number, out: Map<string, Map<number, GpuMinute>>): Promise<void> {
  const expr = (windowMs: number) => {
    const sel = `{node_id=~${quote(nodes.join('|'))}}[${windowMs}ms]`
    const util = `${seriesFor('utilizationPct')}${sel}`
    return `union(${[
      ['n', `count_over_time(${util})`], ['total', `sum_over_time(${util})`], ['rows', `count_over_time(${SAMPLE_SERIES}${sel})`],
    ].map(([q, e]) => `label_set(sum by (node_id, gpu) (${e}), "q", ${quote(q!)})`).join(', ')})`
  }
  const add = (metric: Record<string, string>, minuteAt: number, value: number) => {
    const key = `${metric.node_id}:${metric.gpu}`
    const q = metric.q as keyof GpuMinute | undefined
    if (!wanted.has(key) || q === undefined) return
    let byMinute = out.get(key)
    if (byMinute === undefined) out.set(key, byMinute = new Map())
    let m = byMinute.get(minuteAt)
    if (m === undefined) byMinute.set(minuteAt, m = { n: 0, total: 0, rows: 0 })
    m[q] = value
  }
  /** [lo, hi) within one minute. */
  const part = async (lo: number, hi: number) => {
    for (const s of await client.query(expr(hi - lo), hi - 1)) {
      for (const [, v] of s.points) add(s.metric, Math.floor(lo / MINUTE) * MINUTE, v)
    }
  }
  const { parts, chunks } = splitAtSteps(fromAt, toAt, MINUTE, RANGE_MINUTES)
  await Promise.all([
    ...parts.map(([lo, hi]) => part(lo, hi)),
    ...chunks.map(([lo, hi]) => client.queryRange(expr(MINUTE), lo + MINUTE - 1, hi - 1, MINUTE).then(series => {
      for (const s of series) for (const [t, v] of s.points) add(s.metric, t - MINUTE + 1, v)
    })),
  ])
}
