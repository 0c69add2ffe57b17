import { gpuFreeMb, meanUtilization, type NodeView, type RegionHealth } from './region-health.ts'

export interface RouteQuery {
  region?: string | undefined
  /** Free memory the node must have, summed over its (matching) GPUs. */
  minFreeMb: number
  /** Case-insensitive substring of the GPU model, e.g. "H100". */
  gpuModel?: string | undefined
}

export interface RouteCandidate {
  rank: number | null
  eligible: boolean
  region: string
  node: { id: number, hostname: string, agent_url: string | null, cluster_id: number }
  free_memory_mb: number | null
  mean_utilization_pct: number | null
  sample_age_ms: number | null
  why: string
}

export interface RouteDecision {
  winner: RouteCandidate | null
  reason: string
  /** Eligible ones ranked best first, then the ineligible ones by region and hostname. */
  candidates: RouteCandidate[]
}

const pct = (u: number | null): string => (u === null ? 'unknown' : `${u}%`)
const utilKey = (u: number | null): number => u ?? Number.POSITIVE_INFINITY

/**
 * Picks the node for a request: healthy region, online, a sample within `staleAfterMs`,
 * enough free memory on the GPUs that match. Best = most free memory, then lowest mean
 * utilization, then lowest node id (so equal inputs always give the same answer).
 */
export function rankRoute (views: readonly NodeView[], health: readonly RegionHealth[], q: RouteQuery, now: number, staleAfterMs: number): RouteDecision {
  const healthOf = new Map(health.map(h => [h.region, h]))
  const model = q.gpuModel?.toLowerCase()
  const evaluated = views.filter(v => q.region === undefined || v.region === q.region).map(v => {
    const gpus = model === undefined ? v.gpus : v.gpus.filter(g => g.model?.toLowerCase().includes(model) === true)
    const frees = gpus.map(gpuFreeMb).filter((f): f is number => f !== null)
    const free = frees.length === 0 ? null : frees.reduce((a, b) => a + b, 0)
    const age = v.newestSampleAt === null ? null : Math.max(0, now - v.newestSampleAt)
    const h = healthOf.get(v.region)
    let why = ''
    if (h === undefined || !h.healthy) why = `region ${v.region} unhealthy: ${h?.reasons.join('; ') ?? 'unknown region'}`
    else if (v.node.status !== 'online') why = 'node offline'
    else if (age === null) why = 'no GPU samples yet'
    else if (age > staleAfterMs) why = `stale: newest sample ${Math.round(age / 1000)} s old (limit ${staleAfterMs / 1000} s)`
    else if (gpus.length === 0) why = model === undefined ? 'no GPUs registered' : `no GPU matching "${q.gpuModel}"`
    else if (free === null) why = 'no memory readings'
    else if (free < q.minFreeMb) why = `${free} MB free < ${q.minFreeMb} MB required`
    const candidate: RouteCandidate = {
      rank: null,
      eligible: why === '',
      region: v.region,
      node: { id: v.node.id, hostname: v.node.hostname, agent_url: v.node.agentUrl, cluster_id: v.node.clusterId },
      free_memory_mb: free,
      mean_utilization_pct: meanUtilization(gpus),
      sample_age_ms: age,
      why,
    }
    return candidate
  })

  const eligible = evaluated.filter(c => c.eligible).sort((a, b) =>
    (b.free_memory_mb as number) - (a.free_memory_mb as number) ||
    utilKey(a.mean_utilization_pct) - utilKey(b.mean_utilization_pct) ||
    a.node.id - b.node.id)
  const rest = evaluated.filter(c => !c.eligible)
    .sort((a, b) => a.region.localeCompare(b.region) || a.node.hostname.localeCompare(b.node.hostname))

  const winner = eligible[0] ?? null
  let reason = `no eligible node among ${evaluated.length} considered${q.region === undefined ? '' : ` in region ${q.region}`}`
  if (winner !== null) {
    const w = winner
    const second = eligible[1]
    if (second === undefined) {
      reason = `only eligible node: ${w.free_memory_mb} MB free, ${pct(w.mean_utilization_pct)} mean utilization`
    } else if (w.free_memory_mb !== second.free_memory_mb) {
      reason = `most free memory among ${eligible.length} eligible nodes: ${w.free_memory_mb} MB (next: ${second.node.hostname}, ${second.free_memory_mb} MB)`
    } else if (w.mean_utilization_pct !== second.mean_utilization_pct) {
      reason = `ties on free memory (${w.free_memory_mb} MB) with ${second.node.hostname}; lower mean utilization (${pct(w.mean_utilization_pct)} vs ${pct(second.mean_utilization_pct)})`
    } else {
      reason = `ties with ${second.node.hostname} on free memory and utilization; lowest node id wins`
    }
    eligible.forEach((c, i) => {
      c.rank = i + 1
      if (i === 0) c.why = reason
      else if (c.free_memory_mb !== w.free_memory_mb) c.why = `less free memory than ${w.node.hostname} (${c.free_memory_mb} vs ${w.free_memory_mb} MB)`
      else if (c.mean_utilization_pct !== w.mean_utilization_pct) c.why = `same free memory as ${w.node.hostname}, higher mean utilization (${pct(c.mean_utilization_pct)} vs ${pct(w.mean_utilization_pct)})`
      else c.why = `tied with ${w.node.hostname}; lower node id wins`
    })
  }
  return { winner, reason, candidates: [...eligible, ...rest] }
}
