import { createHash } from 'node:crypto'
import { Hono } from 'hono'
import { createFakeControls, testControls, type FakeRuntime } from './fake-controls.ts'
import { listenFake } from './listen-fake.ts'
import { createSimBacking } from './sim-backing.ts'
import type { FakeModelSpec } from './sim-backing.ts'

export interface FakeOllama extends FakeRuntime {
  /**
   * Requests in flight on a model. Ollama unloads a model asked to (keep_alive 0) only once its
   * in-flight requests finish, so the fake frees the memory when this drops back to 0.
   */
  setBusy: (model: string, inFlight: number) => void
  loaded: () => string[]
}

/**
 * A fake Ollama on loopback: `GET /api/ps` and the unload form of `POST /api/generate`
 * (no prompt, keep_alive 0), shaped like Ollama's own answers. Each loaded model is an
 * `ollama` runner process in the simulator state.
 */
export async function startFakeOllama (options: { simStatePath: string, models: FakeModelSpec[] }): Promise<FakeOllama> {
  const backing = createSimBacking({ simStatePath: options.simStatePath, processName: '/usr/local/bin/ollama' })
  const known = new Map(options.models.map(m => [m.name, m]))
  const inFlight = new Map<string, number>()
  const unloadWhenIdle = new Set<string>()
  const controls = createFakeControls()
  for (const model of options.models) backing.load(model)

  const app = new Hono()
  app.use(controls.middleware)

  app.get('/api/ps', c => c.json({ models: backing.loaded().map(name => psEntry(known.get(name)!, unloadWhenIdle.has(name))) }))

  app.post('/api/generate', async c => {
    const body = await c.req.json().catch(() => ({})) as { model?: unknown, prompt?: unknown, keep_alive?: unknown }
    const name = typeof body.model === 'string' ? body.model : ''
    if (!known.has(name)) return c.json({ error: `model '${name}' not found` }, 404)
    if (body.keep_alive !== 0 || (typeof body.prompt === 'string' && body.prompt !== '')) {
      return c.json({ error: 'the fake only answers unload requests (no prompt, keep_alive 0)' }, 400)
    }
    if ((inFlight.get(name) ?? 0) > 0) unloadWhenIdle.add(name)
    else backing.unload(name)
    return c.json({ model: name, created_at: new Date().toISOString(), response: '', done: true, done_reason: 'unload' })
  })

  const server = await listenFake(app)
  return {
    ...server,
    ...testControls(controls),
    loaded: backing.loaded,
    setBusy (model, n) {
      inFlight.set(model, n)
      if (n === 0 && unloadWhenIdle.delete(model)) backing.unload(model)
    },
  }
}

function psEntry (model: FakeModelSpec, expiring: boolean) {
  const gpus = Array.isArray(model.gpuIndex) ? model.gpuIndex.length : 1
  const bytes = model.usedMemoryMib * gpus * 1024 * 1024
  const family = model.name.split(/[:.-]/)[0] ?? model.name
  return {
    name: model.name,
    model: model.name,
    size: bytes,
    digest: createHash('sha256').update(model.name).digest('hex'),
    details: { parent_model: '', format: 'gguf', family, families: [family], parameter_size: '27.0B', quantization_level: 'Q4_K_M' },
    // Ollama sets expires_at to now when asked to unload a model that is still serving.
    expires_at: new Date(Date.now() + (expiring ? 0 : 5 * 60_000)).toISOString(),
    size_vram: bytes,
    context_length: 4096,
  }
}
