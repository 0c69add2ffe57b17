import type { XidWatch } from '../collector/create-xid-watch.ts'
import type { GpuReading, Snapshot } from '../collector/snapshot.ts'
import type { GpuSource } from '../gpu-source.ts'
import { GPUS_PATH, NODES_PATH } from '../../shared/wire/paths.ts'
import type { GpuRegistration, NodeRegistration } from '../../shared/wire/registration.ts'
import type { Backoff } from './create-backoff.ts'
import type { Upstream, UpstreamResult } from './create-upstream.ts'
import type { HostFacts } from './read-host-facts.ts'
import type { AgentStateStore } from './open-agent-state.ts'
import type { Timers } from '../../shared/timers.ts'
import type { UplinkLog } from './uplink-log.ts'

export interface RegistrarOptions {
  upstream: Upstream
  state: AgentStateStore
  source: GpuSource
  xids?: XidWatch | undefined
  facts: HostFacts
  hostname: string
  cluster: string
  region?: string
  agentUrl?: string
  timers: Timers
  now: () => number
  log: UplinkLog
  backoff: Backoff
  heartbeatMs: number
  /** Sees every node registration answer (the operator-token key to pin); must not throw. */
  onNodeAnswer?: (body: unknown) => Promise<void>
}

export interface Registrar {
  start: () => void
  stop: () => Promise<void>
  registered: () => boolean
}

/**
 * Registers the node, then its GPUs (seed 003), retrying with backoff for as long as it takes;
 * then re-posts the node every heartbeatMs (the seed's nodes endpoint doubles as heartbeat).
 * GPUs are posted again whenever the set changes or the control plane hands back a new node
 * id (its database was rebuilt). Nothing here blocks pushing: ingest names the node by hostname.
 */
export function createRegistrar (o: RegistrarOptions): Registrar {
  let registered = false
  let stopped = false
  let timer: unknown = null
  let running: Promise<void> | null = null
  let unsubscribe: (() => void) | null = null
  let gpusSignature: string | null = null
  let failing = false
  const abort = new AbortController()

  function schedule (ms: number): void {
    if (stopped) return
    timer = o.timers.setTimeout(() => { timer = null; run() }, ms)
  }

  function run (): void {
    if (stopped || running) return
    const snapshot = o.source.latest()
    if (snapshot === null) {
      // total_gpus and the GPU list come from the first snapshot: wait for it.
      unsubscribe ??= o.source.onSnapshot(() => { unsubscribe?.(); unsubscribe = null; run() })
      return
    }
    running = (async () => {
      let ok = false
      try {
        ok = await sync(snapshot)
      } catch (err) {
        fail('registration', { kind: 'retry', status: null, error: String(err) })
      }
      running = null
      schedule(ok ? o.heartbeatMs : o.backoff.next())
    })()
  }

  async function sync (snapshot: Snapshot): Promise<boolean> {
    const nodeRes = await o.upstream.postJson(NODES_PATH, nodeBody(o, snapshot), { readBody: true, signal: abort.signal })
    const node = nodeRes.kind === 'ok' ? parseNode(nodeRes.body) : null
    if (node === null) return fail('node registration', nodeRes.kind === 'ok' ? { ...nodeRes, error: 'response without numeric id and cluster_id' } : nodeRes)
    const state = o.state.get()
    if (state.nodeId !== node.id || state.clusterId !== node.cluster_id || state.hostname !== o.hostname || state.registeredAt === null) {
      await o.state.update({ nodeId: node.id, clusterId: node.cluster_id, hostname: o.hostname, registeredAt: new Date(o.now()).toISOString() })
    }
    await o.onNodeAnswer?.(nodeRes.body)
    const body = gpuBody(node.id, snapshot, o.xids)
    // Identity and health: a new Xid or a remapped row is re-posted at the next heartbeat.
    const signature = JSON.stringify(body)
    if (signature !== gpusSignature) {
      const gpuRes = await o.upstream.postJson(GPUS_PATH, body, { signal: abort.signal })
      if (gpuRes.kind !== 'ok') return fail('GPU registration', gpuRes)
      gpusSignature = signature
    }
    if (!registered || failing) o.log.info({ nodeId: node.id, clusterId: node.cluster_id, gpus: snapshot.gpus.length }, registered ? 'control plane heartbeat ok again' : 'node and GPUs registered with the control plane')
    registered = true
    failing = false
    o.backoff.reset()
    return true
  }

  function fail (what: string, res: UpstreamResult): false {
    // Log the first failure of a streak; the rest go to debug so an outage isn't a log flood.
    if (!failing && !stopped) {
      if (res.kind === 'auth') o.log.error({ status: res.status }, `control plane refused the API key for ${what} (HTTP ${res.status}); check --api-key / GPUFLEET_API_KEY. Retrying with backoff`)
      else o.log.warn({ status: res.status, error: res.error }, `${what} failed; retrying with backoff`)
    } else {
      o.log.debug({ status: res.status, error: res.error }, `${what} failed again`)
    }
    failing = true
    return false
  }

  return {
    start () { run() },
    async stop () {
      stopped = true
      if (timer !== null) o.timers.clearTimeout(timer)
      unsubscribe?.()
      abort.abort()
      await running
    },
    registered: () => registered,
  }
}

function nodeBody (o: RegistrarOptions, snapshot: Snapshot): NodeRegistration {
  const body: NodeRegistration = { cluster_name: o.cluster, hostname: o.hostname, total_gpus: snapshot.gpus.length }
  if (o.region !== undefined) body.region = o.region
  if (o.facts.ipAddress !== null) body.ip_address = o.facts.ipAddress
  if (o.facts.cpuCores !== null) body.cpu_cores = o.facts.cpuCores
  if (o.facts.ramGb !== null) body.ram_gb = o.facts.ramGb
  if (o.agentUrl !== undefined) body.agent_url = o.agentUrl
  return body
}

function gpuBody (nodeId: number, snapshot: Snapshot, xids: XidWatch | undefined): GpuRegistration {
  return {
    node_id: nodeId,
    gpus: snapshot.gpus.map(g => ({
      gpu_index: g.index,
      ...(g.uuid !== null && { uuid: g.uuid }),
      ...(g.name !== null && { model: g.name }),
      ...(g.memoryTotalMib !== null && { vram_mb: Math.round(g.memoryTotalMib) }),
      health: gpuHealth(g, xids),
    })),
  }
}

function gpuHealth (g: GpuReading, xids: XidWatch | undefined): NonNullable<GpuRegistration['gpus'][number]['health']> {
  const xid = xids?.forBusId(g.pciBusId) ?? null
  return {
    xid_count: xid?.count ?? null,
    xid_last: xid?.lastXid ?? null,
    xid_last_at: xid === null ? null : new Date(xid.lastAt).toISOString(),
    remapped_rows_correctable: g.remappedRowsCorrectable,
    remapped_rows_uncorrectable: g.remappedRowsUncorrectable,
    remapped_rows_pending: g.remappedRowsPending,
    remapped_rows_failure: g.remappedRowsFailure,
  }
}

function parseNode (body: unknown): { id: number, cluster_id: number } | null {
  if (typeof body !== 'object' || body === null) return null
  const { id, cluster_id: clusterId } = body as { id?: unknown, cluster_id?: unknown }
  return Number.isInteger(id) && Number.isInteger(clusterId) ? { id: id as number, cluster_id: clusterId as number } : null
}
