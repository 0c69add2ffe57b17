import type { ResolvedNode } from '../../control-plane/telemetry/ingest-types.ts'

/**
 * The telemetry router's resolveNode without the fleet: nodes by hostname in a map (a body
 * without `node` is node 1, "default"), clusters by body.node.cluster, ids handed out in order.
 */
export function inMemoryResolveNode () {
  const nodes = new Map<string, ResolvedNode>([['default', { nodeId: 1, clusterId: 1, hostname: 'default' }]])
  const clusters = new Map<string, number>([['default', 1]])
  return async (node: { hostname: string, cluster?: string | undefined } | undefined): Promise<ResolvedNode> => {
    const hostname = node?.hostname ?? 'default'
    let r = nodes.get(hostname)
    if (r === undefined) {
      const name = node?.cluster ?? 'default'
      let clusterId = clusters.get(name)
      if (clusterId === undefined) clusters.set(name, clusterId = clusters.size + 1)
      r = { nodeId: nodes.size + 1, clusterId, hostname }
      nodes.set(hostname, r)
    }
    return r
  }
}
