import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { Cluster } from '../store/fleet-repository.ts'

/**
 * The refusals of a cluster-bound agent key (issue 12: a cluster's agent key acts for its
 * cluster only). All 403, nothing written; the codes are stable, the details name the key's
 * own cluster so a misconfigured agent's operator sees what to fix.
 */
const own = (cluster: Cluster | null) => cluster === null ? {} : { key_cluster_id: cluster.id, key_cluster: cluster.name }

/** The request names another cluster (by id or name) than the key's, or the key's cluster is gone. */
export function clusterMismatch (cluster: Cluster | null, why: string): HttpError {
  const whose = cluster === null ? 'this key is bound to a cluster' : `this key acts for cluster "${cluster.name}" (id ${cluster.id}) only`
  return httpError('CLUSTER_MISMATCH', `${whose}: ${why}`, own(cluster))
}

/** The request names another region than the key's cluster has (a bound key never sets one). */
export function regionMismatch (cluster: Cluster, region: string): HttpError {
  const has = cluster.region === null ? 'has no region' : `is in region "${cluster.region}"`
  return httpError('REGION_MISMATCH', `this key's cluster "${cluster.name}" ${has}; the request names region "${region.slice(0, 64)}" (only an admin sets a cluster's region)`,
    { ...own(cluster), key_cluster_region: cluster.region })
}

/** The hostname (or node id, or GPU) belongs to another cluster's node. */
export function nodeOwnedByOtherCluster (cluster: Cluster, hostname: string, extra: Record<string, unknown> = {}): HttpError {
  return httpError('NODE_OWNED_BY_OTHER_CLUSTER', `node "${hostname}" belongs to another cluster; this key acts for cluster "${cluster.name}" (id ${cluster.id}) only`,
    { ...own(cluster), hostname, ...extra })
}
