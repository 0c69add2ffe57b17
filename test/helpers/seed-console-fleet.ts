import type { Store } from '../../control-plane/store/store.ts'

/** One API call as the seeder's superadmin: JSON in, parsed JSON out; a non-2xx throws. */
export type SeedRequest = (method: string, path: string, body?: unknown) => Promise<any>

/** A SeedRequest as `key` over `send` (fetch to a server, or app.request in process): the JSON body, or a thrown error on a non-2xx. */
export function jsonApi (send: (path: string, init: RequestInit) => Response | Promise<Response>, key: string): SeedRequest {
  return async (method, path, body) => {
    const res = await send(path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const data = await res.json() as any
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`)
    return data
  }
}

export interface ConsoleFleetSpec {
  nodes: number
  gpusPerNode: number
  clusters: number
  /** Seconds of 1 Hz telemetry pushed per node (ending now); the latest tick is always pushed. */
  telemetrySeconds: number
  tenants: number
  jobs: number
  /** Clock of the control plane (telemetry and records are stamped from it). */
  now: number
}

export interface SeededFleet {
  offlineHostname: string
  hotHostname: string
  tenantIds: number[]
  jobIds: number[]
}

/**
 * A populated fleet for the console's tests and bench, made through the product's own API
 * (registration, seed 000 ingest, tenants, jobs, inference records, invoices), plus the two
 * things only time makes: an offline node (the liveness loop's repository call) and fired
 * alert events (the alerts loop's). Node 0 goes offline; node 1's GPU 0 runs hot with
 * uncorrectable ECC errors.
 */
export async function seedConsoleFleet (request: SeedRequest, store: Store, spec: ConsoleFleetSpec): Promise<SeededFleet> {
  const { now } = spec
  const host = (n: number) => `gpu-node-${String(n).padStart(3, '0')}`
  const nodeIds: number[] = []
  for (let n = 0; n < spec.nodes; n++) {
    const node = await request('POST', '/api/clusters/nodes', {
      cluster_name: `cluster-${n % spec.clusters}`, region: ['us-east-1', 'eu-west-1', 'ap-south-1'][n % spec.clusters % 3],
      hostname: host(n), total_gpus: spec.gpusPerNode, cpu_cores: 224, ram_gb: 2048,
    })
    nodeIds.push(node.id)
    await request('POST', '/api/clusters/gpus', {
      node_id: node.id,
      gpus: Array.from({ length: spec.gpusPerNode }, (_, g) => ({ gpu_index: g, model: 'NVIDIA B200', vram_mb: 183359 })),
    })
    // The first node registered and never heard from again: the liveness loop's call turns it offline.
    if (n === 0) await store.fleet.markStaleNodesOffline(now + 86_400_000, now)
  }
  for (let n = 1; n < spec.nodes; n++) {
    const gpus = []
    for (let s = Math.max(0, spec.telemetrySeconds - 1); s >= 0; s--) {
      const at = now - s * 1000
      for (let g = 0; g < spec.gpusPerNode; g++) {
        const hot = n === 1 && g === 0
        const util = (n * 7 + g * 13 + s) % 100
        gpus.push({
          gpu_id: g, name: 'NVIDIA B200', recorded_at: new Date(at).toISOString(),
          utilization_pct: util, temp_c: hot ? 92 : 40 + util / 4, power_draw_w: 240 + util * 7.5,
          memory_used_mb: 2000 + util * 1500, memory_total_mb: 183359, ecc_errors_uncorrected: hot ? 2 : 0,
        })
      }
    }
    for (let i = 0; i < gpus.length; i += 4000) {
      await request('POST', '/api/gpu-stats', { node: { hostname: host(n), node_id: nodeIds[n] }, gpus: gpus.slice(i, i + 4000) })
    }
  }
  const tenantIds: number[] = []
  for (let i = 0; i < spec.tenants; i++) {
    tenantIds.push((await request('POST', '/api/tenants', { name: `tenant-${i}`, gpu_quota: 8 * (i + 1), plan_tier: i % 2 === 0 ? 'enterprise' : 'starter', contact_email: `billing@t${i}.example` })).id)
  }
  const clusters = await request('GET', '/api/clusters') as Array<{ id: number }>
  const jobIds: number[] = []
  for (let j = 0; j < spec.jobs; j++) {
    const job = await request('POST', '/api/jobs', {
      cluster_id: clusters[j % clusters.length]!.id, name: `job-${j}`, gpu_count: [1, 2, 4, 8, 64][j % 5],
      priority: 1 + (j % 10), tenant_id: tenantIds.length === 0 ? null : tenantIds[j % tenantIds.length], kind: ['compute', 'training', 'benchmark'][j % 3],
    })
    jobIds.push(job.id)
  }
  for (const id of tenantIds) await request('POST', `/api/tenants/${id}/invoice?days=7`)
  const records = Array.from({ length: 200 }, (_, i) => ({
    id: `req-${i}`, endpoint: 'llama-chat', model: 'meta-llama/Llama-3.1-70B-Instruct', tenant_id: tenantIds[0] ?? null,
    source: host(1 + (i % Math.max(1, spec.nodes - 1))), tokens_in: 100 + i, tokens_out: 200 + i, latency_ms: 50 + (i % 40),
    status: i % 17 === 0 ? 'error' : 'ok', at: new Date(now - (i % 10) * 86_400_000 - i * 1000).toISOString(),
  }))
  await request('POST', '/v1/inference/records', { records })
  await request('PUT', '/v1/global-env/ANALYTICS_SOURCE_ALIASES', { value: { [host(1)]: 'Rack A' } })
  // Fired alerts as the alerts loop would record them: the offline node and the hot GPU.
  await store.alerts.applyEvaluation({
    ruleId: 3, at: now, threshold: 85, unknown: [],
    breaches: [
      { subject: { type: 'node', id: nodeIds[0]!, name: host(0) }, tenantId: null, message: `node ${host(0)} is offline` },
      ...(spec.nodes > 1 ? [{ subject: { type: 'node' as const, id: nodeIds[1]!, name: host(1) }, tenantId: null, message: `${host(1)} GPU 0 at 92 °C with uncorrectable ECC errors` }] : []),
    ],
  })
  return { offlineHostname: host(0), hotHostname: host(1), tenantIds, jobIds }
}
