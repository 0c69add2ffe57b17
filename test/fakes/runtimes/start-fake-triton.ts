import { Hono } from 'hono'
import { createFakeControls, testControls, type FakeRuntime } from './fake-controls.ts'
import { listenFake } from './listen-fake.ts'
import { createSimBacking } from './sim-backing.ts'
import type { FakeModelSpec } from './sim-backing.ts'

export interface FakeTritonOptions {
  simStatePath: string
  models: FakeModelSpec[]
  /**
   * tritonserver's `--model-control-mode`. Only `explicit` accepts load/unload; in `none` and
   * `poll` Triton's core refuses them with UNAVAILABLE, which its HTTP frontend answers as 503
   * `{"error":"explicit model load / unload is not allowed if polling is enabled"}` (the same
   * text in both modes). Default explicit.
   */
  modelControlMode?: 'none' | 'poll' | 'explicit'
}

export interface FakeTriton extends FakeRuntime {
  /** Triton's metrics live on their own port (8002 by default), so the fake has its own server. */
  metricsUrl: string
  setBusy: (model: string, pending: number) => void
  loaded: () => string[]
}

/**
 * A fake Triton on loopback: the model-repository extension (index, unload) and, on a
 * second server, Prometheus metrics with per-model `nv_inference_pending_request_count`.
 * All models live in one `tritonserver` process in the simulator state.
 */
export async function startFakeTriton (options: FakeTritonOptions): Promise<FakeTriton> {
  const backing = createSimBacking({ simStatePath: options.simStatePath, processName: '/opt/tritonserver/bin/tritonserver', sharedPid: true })
  const known = new Set(options.models.map(m => m.name))
  const pending = new Map<string, number>()
  const explicit = (options.modelControlMode ?? 'explicit') === 'explicit'
  const controls = createFakeControls()
  for (const model of options.models) backing.load(model)

  const app = new Hono()
  app.use(controls.middleware)
  app.post('/v2/repository/index', async c => {
    const body = await c.req.json().catch(() => ({})) as { ready?: unknown }
    const index = [...known].map(name => (backing.isLoaded(name)
      ? { name, version: '1', state: 'READY' }
      : { name, version: '1', state: 'UNAVAILABLE', reason: 'unloaded' }))
    return c.json(body.ready === true ? index.filter(m => m.state === 'READY') : index)
  })
  app.post('/v2/repository/models/:name/unload', c => {
    const name = c.req.param('name')
    if (!explicit) return c.json({ error: 'explicit model load / unload is not allowed if polling is enabled' }, 503)
    // An unknown name is no error to Triton: there is nothing to unload, and it answers 200.
    pending.delete(name)
    backing.unload(name)
    return c.body(null, 200)
  })

  const metrics = new Hono()
  metrics.use(controls.middleware)
  metrics.get('/metrics', c => c.text(metricsText(backing.loaded(), pending), 200, { 'content-type': 'text/plain; charset=utf-8' }))

  const server = await listenFake(app)
  const metricsServer = await listenFake(metrics)
  return {
    url: server.url,
    metricsUrl: `${metricsServer.url}/metrics`,
    async close () {
      await Promise.all([server.close(), metricsServer.close()])
    },
    ...testControls(controls),
    loaded: backing.loaded,
    setBusy (model, n) {
      pending.set(model, n)
    },
  }
}

function metricsText (loaded: string[], pending: Map<string, number>): string {
  const lines: string[] = []
  const family = (name: string, type: string, help: string, valueOf: (model: string) => number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const model of loaded) lines.push(`${name}{model="${model}",version="1"} ${valueOf(model)}`)
  }
  family('nv_inference_request_success', 'counter', 'Number of successful inference requests, all batch sizes', () => 1024)
  family('nv_inference_request_failure', 'counter', 'Number of failed inference requests, all batch sizes', () => 0)
  family('nv_inference_pending_request_count', 'gauge', 'Instantaneous number of pending requests awaiting execution per-model.', m => pending.get(m) ?? 0)
  lines.push(
    '# HELP nv_gpu_utilization GPU utilization rate [0.0 - 1.0)',
    '# TYPE nv_gpu_utilization gauge',
    'nv_gpu_utilization{gpu_uuid="GPU-5e1f0c3a-00b2-4c1d-9a7e-000000000000"} 0.31',
  )
  return `${lines.join('\n')}\n`
}
