import type { FleetOp } from '../fleet-action.ts'
import { positiveInt } from './cli-error.ts'
import { formatTable } from './print-table.ts'
import { resolveNodeId } from './resolve-node-id.ts'

export const listClusters: FleetOp = async ctx => {
  const clusters = await ctx.controlPlane().listClusters()
  ctx.print(clusters, () => formatTable(clusters, [
    ['ID', c => c.id], ['NAME', c => c.name], ['REGION', c => c.region], ['NODES', c => c.nodeCount],
    ['GPUS', c => c.gpuCount], ['RUNNING JOBS', c => c.activeJobs], ['WAITING JOBS', c => c.queuedJobs],
  ]))
}

export const listNodes: FleetOp = async (ctx, _args, opts) => {
  const clusterId = positiveInt(opts.cluster as string | undefined, '--cluster')
  const nodes = await ctx.controlPlane().listNodes(clusterId === undefined ? {} : { clusterId })
  ctx.print(nodes, () => formatTable(nodes, [
    ['ID', n => n.id], ['HOSTNAME', n => n.hostname], ['CLUSTER', n => n.clusterName],
    // Offline stands out for people scanning the list.
    ['STATUS', n => `${n.status === 'offline' ? 'OFFLINE' : n.status}${n.drainedAt === null ? '' : ' DRAINED'}`], ['GPUS', n => n.gpus.length],
    ['ACTIVE', n => n.gpus.filter(g => g.status === 'active').length], ['LAST SEEN', n => n.lastSeenAt], ['AGENT', n => n.agentUrl],
  ]))
}

// ID or HOSTNAME: resolved through the node list first (resolve-node-id.ts).
export const drainNode: FleetOp = async (ctx, [given]) => {
  const cp = ctx.controlPlane()
  const node = await cp.drainNode(await resolveNodeId(cp, given))
  ctx.print(node, () => `node ${node.id} (${node.hostname}) drained: no new jobs are placed there; running ones finish\n`)
}

export const resumeNode: FleetOp = async (ctx, [given]) => {
  const cp = ctx.controlPlane()
  const node = await cp.resumeNode(await resolveNodeId(cp, given))
  ctx.print(node, () => `node ${node.id} (${node.hostname}) resumed\n`)
}

export const deleteNode: FleetOp = async (ctx, [given]) => {
  const cp = ctx.controlPlane()
  const node = await cp.deleteNode(await resolveNodeId(cp, given))
  ctx.print(node, () => `node ${node.id} (${node.hostname}) deleted with ${node.deletedGpuIds.length} GPUs; ${node.resolvedAlertEventIds.length} alert events resolved\n`)
}

export const listRegions: FleetOp = async ctx => {
  const r = await ctx.controlPlane().getRegions()
  ctx.print(r, () => formatTable(r.regions, [
    ['REGION', x => x.region], ['HEALTHY', x => x.healthy ? 'yes' : 'NO'], ['NODES', x => `${x.nodesOnline}/${x.nodesTotal}`],
    ['GPUS', x => x.gpusTotal], ['IDLE', x => x.gpusIdle], ['FREE MB', x => x.freeMemoryMb], ['UTIL%', x => x.meanUtilizationPct],
    ['SAMPLE AGE MS', x => x.newestSampleAgeMs], ['WHY NOT', x => x.reasons.join('; ')],
  ]))
}

/** The cluster's agent (ingest) key is in this answer only: alone on stdout, like keys create. */
export const createCluster: FleetOp = async (ctx, _args, o) => {
  const timeLimit = positiveInt(o.timeLimit as string | undefined, '--time-limit')
  const cluster = await ctx.controlPlane().createCluster({
    name: String(o.name),
    ...(o.region !== undefined && { region: String(o.region) }),
    ...(timeLimit !== undefined && { defaultTimeLimitMin: timeLimit }),
  })
  ctx.print(cluster, () => `${cluster.apiKey}\n`)
  if (!ctx.json) process.stderr.write(`cluster ${cluster.id} (${cluster.name}) created; above is its agents' key (gpufleet agent --api-key, GPUFLEET_API_KEY): it is shown only once — store it now\n`)
}
