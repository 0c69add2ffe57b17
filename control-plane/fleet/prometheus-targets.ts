import type { Cluster, FleetNode } from '../store/fleet-repository.ts'

export interface PrometheusTargetGroup {
  targets: string[]
  labels: { cluster: string, region: string, hostname: string, __scheme__: 'http' | 'https', __metrics_path__: '/metrics' }
}

/**
 * One http_sd target group per node of `clusters` with a usable agent_url (http or https),
 * ordered by cluster name then hostname so the answer is stable between polls.
 */
export function prometheusTargets (clusters: readonly Cluster[], nodes: readonly FleetNode[]): PrometheusTargetGroup[] {
  const byId = new Map(clusters.map(c => [c.id, c]))
  const groups: PrometheusTargetGroup[] = []
  for (const n of nodes) {
    const cluster = byId.get(n.clusterId)
    if (cluster === undefined || n.agentUrl === null) continue
    let url: URL
    try { url = new URL(n.agentUrl) } catch { continue }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue
    const scheme = url.protocol === 'https:' ? 'https' : 'http'
    const port = url.port === '' ? (scheme === 'https' ? '443' : '80') : url.port
    groups.push({
      targets: [`${url.hostname}:${port}`],
      labels: { cluster: cluster.name, region: cluster.region ?? '', hostname: n.hostname, __scheme__: scheme, __metrics_path__: '/metrics' },
    })
  }
  return groups.sort((a, b) => a.labels.cluster.localeCompare(b.labels.cluster) || a.labels.hostname.localeCompare(b.labels.hostname))
}
