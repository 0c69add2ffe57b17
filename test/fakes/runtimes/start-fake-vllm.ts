import { Hono } from 'hono'
import { createFakeControls, testControls, type FakeRuntime } from './fake-controls.ts'
import { listenFake } from './listen-fake.ts'
import { createSimBacking } from './sim-backing.ts'
import type { FakeModelSpec } from './sim-backing.ts'

export interface FakeVllmOptions {
  simStatePath: string
  /** vLLM serves one model per server: exactly one entry. */
  models: FakeModelSpec[]
  /** LoRA adapters listed in /v1/models with `parent` set to the served model. */
  loraAdapters?: string[]
  /**
   * `VLLM_SERVER_DEV_MODE=1`: the sleep endpoints exist (the fake's sleep frees memory, as a
   * server also started with `--enable-sleep-mode` does). Without it FastAPI answers 404. Default true.
   */
  devMode?: boolean
  /**
   * vLLM's `--api-key`: a route that needs it answers 401 `{"error":"Unauthorized"}` unless
   * the request carries `Authorization: Bearer <key>`. As in recent vLLM, every registered
   * route needs it except the public ones (/health, /ping, /load, /version, /metrics).
   */
  apiKey?: string
  /** Data-parallel engines: /metrics has one series per engine, the load split between them. */
  engines?: number
}

export interface FakeVllm extends FakeRuntime {
  setBusy: (load: { running: number, waiting?: number }) => void
  sleeping: () => boolean
  /** The level of the last accepted POST /sleep, null before one. */
  sleepLevel: () => number | null
}

/**
 * A fake vLLM OpenAI server on loopback: /v1/models, a realistic Prometheus /metrics, and the
 * dev-mode sleep endpoints. Sleep (level 1 or 2) frees the model's simulator memory; `mode=wait`
 * answers only once no request is running or waiting, `mode=abort` drops them.
 */
export async function startFakeVllm (options: FakeVllmOptions): Promise<FakeVllm> {
  const model = options.models[0]
  if (model === undefined || options.models.length !== 1) throw new Error('a vLLM server serves exactly one model')
  const devMode = options.devMode ?? true
  const engines = options.engines ?? 1
  const backing = createSimBacking({ simStatePath: options.simStatePath, processName: 'VLLM::EngineCore' })
  const controls = createFakeControls()
  const load = { running: 0, waiting: 0 }
  let idleWaiters: Array<() => void> = []
  let asleep = false
  let sleepLevel: number | null = null
  const created = Math.floor(Date.now() / 1000)
  backing.load(model)

  const app = new Hono()
  app.use(controls.middleware)
  const apiKey = options.apiKey
  if (apiKey !== undefined) {
    // Only registered routes are guarded: without dev mode /sleep is no route, so it is a 404.
    const guarded = (path: string) => path.startsWith('/v1/') || (devMode && ['/sleep', '/wake_up', '/is_sleeping'].includes(path))
    app.use(async (c, next) => {
      const [scheme = '', ...rest] = (c.req.header('authorization') ?? '').split(' ')
      if (guarded(c.req.path) && (scheme.toLowerCase() !== 'bearer' || rest.join(' ') !== apiKey)) return c.json({ error: 'Unauthorized' }, 401)
      await next()
    })
  }

  app.get('/health', c => c.body(null, 200))
  app.get('/v1/models', c => c.json({
    object: 'list',
    data: [
      { id: model.name, object: 'model', created, owned_by: 'vllm', root: `/models/${model.name}`, parent: null, max_model_len: 32768, permission: [] },
      ...(options.loraAdapters ?? []).map(id => ({ id, object: 'model', created, owned_by: 'vllm', root: `/adapters/${id}`, parent: model.name, max_model_len: null, permission: [] })),
    ],
  }))
  app.get('/metrics', c => c.text(metricsText(model.name, load, engines, asleep), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }))

  // FastAPI's 404 body, what a real server without dev mode answers.
  const notFound = { detail: 'Not Found' }
  app.get('/is_sleeping', c => (devMode ? c.json({ is_sleeping: asleep }) : c.json(notFound, 404)))
  app.post('/sleep', async c => {
    if (!devMode) return c.json(notFound, 404)
    const level = Number(c.req.query('level') ?? '1')
    if (level !== 1 && level !== 2) return c.json({ error: `invalid level ${level}` }, 400)
    const mode = c.req.query('mode') ?? 'abort' // vLLM's own default
    if (mode === 'abort') {
      load.running = 0
      load.waiting = 0
    } else if (load.running + load.waiting > 0) {
      await new Promise<void>(resolve => idleWaiters.push(resolve))
    }
    asleep = true
    sleepLevel = level
    backing.unload(model.name)
    return c.body(null, 200)
  })
  app.post('/wake_up', c => {
    if (!devMode) return c.json(notFound, 404)
    asleep = false
    backing.load(model)
    return c.body(null, 200)
  })

  const server = await listenFake(app)
  return {
    ...server,
    ...testControls(controls),
    sleeping: () => asleep,
    sleepLevel: () => sleepLevel,
    setBusy ({ running, waiting = 0 }) {
      load.running = running
      load.waiting = waiting
      if (running + waiting === 0) {
        for (const wake of idleWaiters) wake()
        idleWaiters = []
      }
    },
  }
}

function metricsText (modelName: string, load: { running: number, waiting: number }, engines: number, asleep: boolean): string {
  const lines: string[] = [
    '# HELP python_gc_objects_collected_total Objects collected during gc',
    '# TYPE python_gc_objects_collected_total counter',
    'python_gc_objects_collected_total{generation="0"} 12873.0',
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    'process_resident_memory_bytes 2.147483648e+09',
  ]
  const gauge = (name: string, help: string, valueOf: (engine: number) => number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`)
    for (let e = 0; e < engines; e++) lines.push(`${name}{engine="${e}",model_name="${modelName}"} ${valueOf(e).toFixed(1)}`)
  }
  const share = (total: number, e: number) => Math.floor(total / engines) + (e < total % engines ? 1 : 0)
  gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', e => share(load.running, e))
  gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', e => share(load.waiting, e))
  gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', () => (asleep ? 0 : 0.42))
  lines.push(
    '# HELP vllm:prompt_tokens_total Number of prefill tokens processed.',
    '# TYPE vllm:prompt_tokens_total counter',
    `vllm:prompt_tokens_total{engine="0",model_name="${modelName}"} 1.234567e+06`,
    '# HELP vllm:request_success_total Count of successfully processed requests.',
    '# TYPE vllm:request_success_total counter',
    `vllm:request_success_total{engine="0",finished_reason="stop",model_name="${modelName}"} 4211.0`,
    `vllm:request_success_total{engine="0",finished_reason="length",model_name="${modelName}"} 37.0`,
    '# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.',
    '# TYPE vllm:time_to_first_token_seconds histogram',
    `vllm:time_to_first_token_seconds_bucket{engine="0",le="0.1",model_name="${modelName}"} 3900.0`,
    `vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="${modelName}"} 4248.0`,
    `vllm:time_to_first_token_seconds_sum{engine="0",model_name="${modelName}"} 311.7`,
    `vllm:time_to_first_token_seconds_count{engine="0",model_name="${modelName}"} 4248.0`,
  )
  return `${lines.join('\n')}\n`
}
