import { createRoute, z } from '@hono/zod-openapi'
import { Gauge, type Registry } from 'prom-client'
import { httpError } from '../../shared/error-codes.ts'
import { AGENT_PROCESSES_PATH } from '../../shared/wire/job-execution.ts'
import { MAX_REPORTED_PROCESSES, processReportAckSchema, processReportSchema } from '../../shared/wire/process-report-schemas.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import { errorResponses } from '../http/error-responses.ts'
import type { ProcessVerdict } from '../store/process-repository.ts'
import type { Store } from '../store/store.ts'
import { nodeOwnedByOtherCluster } from './cluster-binding-errors.ts'
import { judgeProcesses } from './judge-processes.ts'
import { PROCESS_REPORT_STALE_MS } from './process-report-stale.ts'

export interface ProcessesRouterDeps {
  store: Pick<Store, 'fleet' | 'processes'>
  requireScope: RequireScope
  now: () => number
  /** The control plane's registry: the unallocated and outside-allocation gauges go there. */
  registry?: Registry | undefined
}

/** A report is a few hundred bytes per process; 4,096 of them with long command lines fit here. */
export const PROCESS_REPORT_BODY_LIMIT_BYTES = 4 * 1024 * 1024

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

/**
 * POST /api/agent/processes (issue 15): an agent's GPU compute processes and the executed job
 * each belongs to. The node's set is replaced and judged against the allocations now
 * (judge-processes.ts): attributed, unallocated, or outside its job's allocation.
 */
export function createProcessesRouter (deps: ProcessesRouterDeps) {
  const { store, requireScope, now } = deps
  if (store?.processes === undefined || store.fleet === undefined) throw new TypeError('createProcessesRouter: store with fleet and processes is required')
  if (deps.registry !== undefined) registerProcessGauges(deps.registry, store, now)
  const app = createRouter()

  app.openapi(createRoute({
    method: 'post', path: AGENT_PROCESSES_PATH, tags: ['agent'], security: API_KEY_SECURITY,
    middleware: [requireScope('ingest')] as const,
    description: `An agent reports every GPU compute process on its node (at most ${MAX_REPORTED_PROCESSES}) and the executed job ` +
      'each belongs to; the node\'s previous set is replaced. The node is found by hostname (404 NODE_NOT_FOUND); a ' +
      'cluster-bound key reports for its own cluster\'s nodes only (403 NODE_OWNED_BY_OTHER_CLUSTER).',
    request: { body: { required: true, content: { 'application/json': { schema: processReportSchema } } } },
    responses: { 200: json(processReportAckSchema, 'Stored and judged'), ...errorResponses(400, 401, 403, 404) },
  }), async c => {
    const report = c.req.valid('json')
    const node = await store.fleet.getNodeByHostname(report.hostname)
    if (node === null) throw httpError('NODE_NOT_FOUND', `no node with hostname "${report.hostname.slice(0, 64)}"`)
    const bound = c.var.principal.clusterId ?? null
    if (bound !== null && node.clusterId !== bound) {
      const own = await store.fleet.getCluster(bound)
      if (own === null) throw httpError('NODE_OWNED_BY_OTHER_CLUSTER', `node "${node.hostname}" belongs to another cluster`)
      throw nodeOwnedByOtherCluster(own, node.hostname)
    }
    let counts = { unallocated: 0, outside: 0 }
    await store.processes.replaceNodeProcesses(node.id, now(), holders => {
      const judged = judgeProcesses(report.processes, holders)
      counts = { unallocated: judged.filter(p => p.verdict === 'unallocated').length, outside: judged.filter(p => p.verdict === 'outside_allocation').length }
      return judged
    })
    return c.json({ ok: true as const, node_id: node.id, processes: report.processes.length, unallocated: counts.unallocated, outside_allocation: counts.outside }, 200)
  })

  return app
}

/** Scrape-time gauges over fresh reports (a node silent for over 2 min does not count). */
function registerProcessGauges (registry: Registry, store: Pick<Store, 'processes'>, now: () => number): void {
  const count = async (verdict: ProcessVerdict): Promise<number> =>
    (await store.processes.list({ freshSince: now() - PROCESS_REPORT_STALE_MS, flagged: true })).filter(p => p.verdict === verdict).length
  new Gauge({
    name: 'gpufleet_unallocated_gpu_processes',
    help: 'GPU compute processes on GPUs no running job holds, as the agents last reported them.',
    registers: [registry],
    async collect () { this.set(await count('unallocated')) },
  })
  new Gauge({
    name: 'gpufleet_outside_allocation_gpu_processes',
    help: 'GPU compute processes of a job on a GPU outside its allocation, or of no job on an executed job\'s GPU.',
    registers: [registry],
    async collect () { this.set(await count('outside_allocation')) },
  })
}
