import type { AddressInfo, Socket } from 'node:net'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { Context } from 'hono'
import { GPU_STATS_PATH, gpuStatRowSchema } from '../../shared/wire/gpu-stats.ts'
import type { GpuStatRow } from '../../shared/wire/gpu-stats.ts'
import { GPUS_PATH, NODES_PATH, gpuRegistrationSchema, nodeRegistrationSchema } from '../../shared/wire/registration.ts'
import type { GpuHealth } from '../../shared/wire/registration.ts'
import { INTROSPECT_PATH, introspectRequestSchema } from '../../shared/wire/introspect.ts'
import type { IntrospectResponse, Scope } from '../../shared/wire/introspect.ts'

/**
 * A stand-in control plane on 127.0.0.1:0 for uplink tests: node + GPU registration and
 * `POST /api/gpu-stats`, just enough of seeds 000/003, key introspection for the agent's
 * operator API (`operatorKeys`), and able to fail on demand.
 * Modes: 'ok'; 'down' (every connection is destroyed, so the client sees a network error,
 * not an HTTP answer); 'error500'; 'slow' (stores the rows, then holds the response until the
 * mode changes or the sink closes: an ambiguous failure after a client timeout);
 * { status } answers that status to every request without storing anything (with `body`,
 * that text as text/html: a proxy or load balancer in between answering instead).
 */
export type SinkMode = 'ok' | 'down' | 'error500' | 'slow' | { status: number, body?: string }

export interface SinkRequest {
  method: string
  path: string
  status: number | 'destroyed'
  /** The Authorization header's key, so tests can check what was sent without logging it. */
  bearer: string | null
  /** Rows in a gpu-stats body (batch size). */
  samples?: number
}

export interface SinkNode {
  id: number
  cluster_id: number
  cluster_name: string | null
  hostname: string
  ip_address: string | null
  total_gpus: number | null
  cpu_cores: number | null
  ram_gb: number | null
  agent_url: string | null
  heartbeats: number
}

export interface SinkGpu { id: number, node_id: number, gpu_index: number | null, uuid: string | null, model: string | null, vram_mb: number | null, health?: GpuHealth | undefined }

export interface StoredRow extends GpuStatRow { hostname: string, node_id: number | null }

export interface ControlPlaneSink {
  url: string
  setMode: (mode: SinkMode) => void
  /** Distinct stored rows, one per (hostname, gpu_id, recorded_at). */
  rows: () => StoredRow[]
  /** Rows received again for a key already stored (ingest is idempotent; counted, not stored). */
  duplicates: () => number
  /** Rows that failed the seed's per-row validation and were skipped (fail-soft). */
  skipped: () => number
  nodes: () => SinkNode[]
  gpus: () => SinkGpu[]
  requests: () => SinkRequest[]
  /** TCP connections accepted (keep-alive means few). */
  connections: () => number
  /** `POST /api/auth/introspect` requests answered (200 or 400), whatever the verdict. */
  introspections: () => number
  close: () => Promise<void>
}

type Env = { Variables: { entry: SinkRequest } }

export interface SinkOptions {
  /** Bearer (or x-api-key) value accepted; every other → 401. */
  apiKey: string
  mode?: SinkMode
  /**
   * Operator keys that `POST /api/auth/introspect` knows, with their scopes (tenant-less, so
   * a superadmin key passes the agent's operator check); any other key answers
   * `{active: false}`. The caller must present `apiKey`, as the agent does with its own key.
   */
  operatorKeys?: Readonly<Record<string, readonly Scope[]>>
}

export async function startControlPlaneSink ({ apiKey, mode: initial = 'ok', operatorKeys = {} }: SinkOptions): Promise<ControlPlaneSink> {
  let mode: SinkMode = initial
  const operators = new Map(Object.entries(operatorKeys).map(([key, scopes], i) => [key, { keyId: i + 1, scopes: [...scopes] }]))
  let introspections = 0
  const stored = new Map<string, StoredRow>()
  let duplicates = 0
  let skipped = 0
  const nodes = new Map<string, SinkNode>()
  const clusters = new Map<string, number>()
  const gpus: SinkGpu[] = []
  const requests: SinkRequest[] = []
  const sockets = new Set<Socket>()
  let connections = 0
  let release: () => void = () => {}
  let held = new Promise<void>(resolve => { release = resolve })

  const app = new Hono<Env>()
  const bearerOf = (c: Context<Env>): string | null =>
    c.req.header('authorization')?.replace(/^Bearer\s+/i, '') ?? c.req.header('x-api-key') ?? null

  app.use('*', async (c, next) => {
    const entry: SinkRequest = { method: c.req.method, path: c.req.path, status: 0, bearer: bearerOf(c) }
    requests.push(entry)
    c.set('entry', entry)
    await next()
    entry.status = c.res.status
  })
  app.use('*', async (c, next) => {
    if (typeof mode === 'object' && mode.body !== undefined) return c.html(mode.body, mode.status as 400)
    if (typeof mode === 'object') return c.json({ error: 'forced', code: 'FORCED' }, mode.status as 400)
    if (mode === 'error500') return c.json({ error: 'internal error', code: 'INTERNAL' }, 500)
    if (bearerOf(c) !== apiKey) return c.json({ error: 'Invalid or missing API key', code: 'UNAUTHORIZED' }, 401)
    await next()
  })

  app.post(NODES_PATH, async c => {
    const parsed = nodeRegistrationSchema.safeParse(await c.req.json().catch(() => null))
    if (!parsed.success) return c.json({ error: 'invalid body', code: 'VALIDATION' }, 400)
    const b = parsed.data
    const clusterKey = b.cluster_name ?? `#${b.cluster_id}`
    if (!clusters.has(clusterKey)) clusters.set(clusterKey, b.cluster_id ?? clusters.size + 1)
    const existing = nodes.get(b.hostname)
    const node: SinkNode = {
      id: existing?.id ?? nodes.size + 1,
      cluster_id: clusters.get(clusterKey)!,
      cluster_name: b.cluster_name ?? null,
      hostname: b.hostname,
      ip_address: b.ip_address ?? null,
      total_gpus: b.total_gpus ?? null,
      cpu_cores: b.cpu_cores ?? null,
      ram_gb: b.ram_gb ?? null,
      agent_url: b.agent_url ?? null,
      heartbeats: (existing?.heartbeats ?? -1) + 1,
    }
    nodes.set(b.hostname, node)
    return c.json({ ...node, status: 'online' }, existing ? 200 : 201)
  })

  app.post(GPUS_PATH, async c => {
    const parsed = gpuRegistrationSchema.safeParse(await c.req.json().catch(() => null))
    if (!parsed.success) return c.json({ error: 'invalid body', code: 'VALIDATION' }, 400)
    // Seed 003: idempotent per gpu_index, returns only the newly created records.
    const created: SinkGpu[] = []
    for (const g of parsed.data.gpus) {
      const known = gpus.find(x => x.node_id === parsed.data.node_id && x.gpu_index === (g.gpu_index ?? null))
      if (known !== undefined) {
        if (g.health !== undefined) known.health = g.health
        continue
      }
      const gpu = { id: gpus.length + 1, node_id: parsed.data.node_id, gpu_index: g.gpu_index ?? null, uuid: g.uuid ?? null, model: g.model ?? null, vram_mb: g.vram_mb ?? null, health: g.health }
      gpus.push(gpu)
      created.push(gpu)
    }
    return c.json(created, 201)
  })

  app.post(GPU_STATS_PATH, async c => {
    const body = await c.req.json().catch(() => null) as { node?: { hostname?: string, node_id?: number }, gpus?: unknown } | null
    if (!body || !Array.isArray(body.gpus)) return c.json({ error: 'Missing top-level gpus array', code: 'VALIDATION' }, 400)
    const hostname = body.node?.hostname ?? '(seed reporter)'
    c.get('entry').samples = body.gpus.length
    for (const raw of body.gpus) {
      const row = gpuStatRowSchema.safeParse(raw)
      if (!row.success) { skipped++; continue }
      const key = `${hostname}|${row.data.gpu_id}|${row.data.recorded_at ?? ''}`
      if (stored.has(key)) duplicates++
      else stored.set(key, { ...row.data, hostname, node_id: body.node?.node_id ?? null })
    }
    if (mode === 'slow') await held
    return c.json({ ok: true })
  })

  app.post(INTROSPECT_PATH, async c => {
    const parsed = introspectRequestSchema.safeParse(await c.req.json().catch(() => null))
    introspections++
    if (!parsed.success) return c.json({ error: 'invalid body', code: 'VALIDATION' }, 400)
    const known = operators.get(parsed.data.key)
    const reply: IntrospectResponse = known === undefined
      ? { active: false, scopes: [], key_id: null, tenant_id: null }
      : { active: true, scopes: known.scopes, key_id: known.keyId, tenant_id: null }
    return c.json(reply)
  })

  const server = await new Promise<Server>(resolve => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server)) as Server
  })
  server.on('connection', socket => {
    connections++
    if (mode === 'down') {
      requests.push({ method: '?', path: '?', status: 'destroyed', bearer: null })
      socket.destroy()
      return
    }
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    setMode (next) {
      if (mode === 'slow' && next !== 'slow') {
        release()
        held = new Promise<void>(resolve => { release = resolve })
      }
      mode = next
      // Keep-alive connections opened while up would otherwise still be served.
      if (next === 'down') for (const s of sockets) s.destroy()
    },
    rows: () => [...stored.values()],
    duplicates: () => duplicates,
    skipped: () => skipped,
    nodes: () => [...nodes.values()],
    gpus: () => [...gpus],
    requests: () => [...requests],
    connections: () => connections,
    introspections: () => introspections,
    async close () {
      release()
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }
}
