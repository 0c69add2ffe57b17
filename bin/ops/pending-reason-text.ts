import type { PendingReason } from '../../shared/sdk/control-plane-types.ts'

/** What each pending reason means and what would change it (README, "Scheduling policy"). */
export const PENDING_REASON_TEXT: Record<PendingReason, string> = {
  CAPACITY: 'waiting for enough free GPUs in its cluster; it starts when running jobs end',
  PRIORITY: 'GPUs it could use are reserved for a higher-priority job that is waiting',
  QUOTA: 'its tenant is at its GPU quota; it starts when the tenant\'s running jobs free GPUs or the quota is raised',
  NEVER_FITS_QUOTA: 'it asks for more GPUs than its tenant\'s whole quota: raise the quota or resubmit with fewer GPUs',
  NEVER_FITS_CLUSTER: 'its cluster has fewer matching GPUs than it asks for: add nodes, change --gpu-type, or resubmit with fewer GPUs',
  TENANT_INACTIVE: 'its tenant is inactive: reactivate the tenant',
  OPERATOR_HOLD: 'an operator put it on hold; it waits until set back to queued',
  TENANT_QUEUE: 'an earlier job of its tenant waits for the tenant\'s GPU quota and goes first; it starts after that one, or when the quota is raised',
  NODE_NOT_REPORTING: 'it would fit on GPUs whose online node sent no reading for 60 s: check the node\'s agent',
  NODE_OFFLINE: 'only offline nodes have enough matching GPUs: bring a node back online, or resubmit with fewer GPUs',
  NODE_DRAINED: 'it fits only on a drained node: resume the node (gpufleet nodes resume ID) or add capacity',
}
