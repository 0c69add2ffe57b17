import { GPUS_PATH, NODES_PATH } from '../../shared/wire/registration.ts'
import { simulatedAgent, type SimulatedAgent } from '../../bench/load/simulated-agent.ts'

/** JSON over fetch with a bearer key; the status and parsed body, or a thrown network error. */
export async function call (base: string, key: string, method: string, path: string, body?: unknown): Promise<{ status: number, json: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, json: text === '' ? null : JSON.parse(text) }
}

/** Creates a cluster with the admin key; its ingest key is what the cluster's agents use. */
export async function createCluster (base: string, adminKey: string, name: string): Promise<string> {
  return (await createClusterWithId(base, adminKey, name)).key
}

export async function createClusterWithId (base: string, adminKey: string, name: string, region?: string): Promise<{ id: number, key: string }> {
  const r = await call(base, adminKey, 'POST', '/api/clusters', { name, ...(region === undefined ? {} : { region }) })
  if (r.status !== 201) throw new Error(`POST /api/clusters: ${r.status} ${JSON.stringify(r.json)}`)
  return { id: r.json.id as number, key: r.json.api_key as string }
}

export interface RegisteredSim { sim: SimulatedAgent, nodeId: number }

/** Registers simulated agents (node, then GPUs) in the agent's wire format. */
export async function registerSims (base: string, key: string, cluster: string, count: number, prefix: string, utilizationPct?: number): Promise<RegisteredSim[]> {
  const out: RegisteredSim[] = []
  for (let i = 0; i < count; i++) {
    const sim = simulatedAgent(i, { cluster, prefix, ...(utilizationPct === undefined ? {} : { utilizationPct }) })
    const n = await call(base, key, 'POST', NODES_PATH, sim.node)
    if (n.status !== 201 && n.status !== 200) throw new Error(`register ${sim.hostname}: ${n.status}`)
    const g = await call(base, key, 'POST', GPUS_PATH, sim.gpus(n.json.id))
    if (g.status !== 201 && g.status !== 200) throw new Error(`register GPUs of ${sim.hostname}: ${g.status}`)
    out.push({ sim, nodeId: n.json.id as number })
  }
  return out
}
