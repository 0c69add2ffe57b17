import t, { type Test } from 'tap'
import { T0, seedRow, telemetryApp } from './telemetry-app.ts'
import { createParsePool } from '../../../control-plane/telemetry/create-parse-pool.ts'
import type { SampleBatch, SampleBatchResult } from '../../../control-plane/store/telemetry-repository.ts'

// POST /api/gpu-stats with its bodies parsed on worker threads (create-parse-pool.ts).
const CRASHING = new URL('../../fixtures/telemetry/crashing-parse-worker.ts', import.meta.url)
const iso = (ms: number) => new Date(ms).toISOString()
const batch = (host: string, at: number, gpus = 8) => ({ node: { hostname: host }, gpus: Array.from({ length: gpus }, (_, g) => seedRow(g, { recorded_at: iso(at) })) })
const quiet = { warn () {}, error () {} }

async function until (t: Test, what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  t.pass(what)
}

t.test('a parse worker crash answers 503 STORE_UNAVAILABLE (retry), writes nothing, and the next push is stored', async t => {
  const parsePool = createParsePool({ size: 1, log: quiet, workerUrl: CRASHING })
  const { post, repo, logs, registry } = await telemetryApp(t, { parsePool })
  t.teardown(() => parsePool.close())
  const res = await post(null, { raw: 'crash' })
  t.equal(res.status, 503)
  t.match(await res.json(), { statusCode: 503, code: 'STORE_UNAVAILABLE', message: /retry/ })
  t.equal(await repo.countSamples(), 0)
  t.ok(logs.some(l => l.level === 'warn' && /parsing the body failed/.test(l.msg)))
  t.match(await registry.metrics(), /ingest_requests_total\{outcome="failed"\} 1/)
  const ok = await post(batch('n1', T0 - 1000))
  t.equal(ok.status, 200)
  t.match(await ok.json(), { ok: true, accepted: 8 })
  t.equal(await repo.countSamples(), 8)
})

t.test('bad bodies through the workers: the 400s of today, nothing written', async t => {
  const parsePool = createParsePool({ size: 2, log: quiet })
  const { post, repo } = await telemetryApp(t, { parsePool })
  t.teardown(() => parsePool.close())
  const cases: Array<[string, string]> = [['{', 'INVALID_JSON'], ['', 'INVALID_JSON'], ['[]', 'GPUS_REQUIRED'], ['{"gpus":{}}', 'GPUS_REQUIRED'], ['{"node":{"hostname":7},"gpus":[]}', 'INVALID_NODE']]
  const answers = await Promise.all(cases.map(async ([raw]) => post(null, { raw })))
  for (const [i, res] of answers.entries()) {
    t.equal(res.status, 400, cases[i]![0])
    t.match(await res.json(), { statusCode: 400, error: 'Bad Request', code: cases[i]![1] })
  }
  t.equal(await repo.countSamples(), 0)
})

t.test('backpressure: past commitMaxQueuedRows a push is answered 503 at once and nothing of it is stored', async t => {
  let release!: () => void
  const gate = new Promise<void>(resolve => { release = resolve })
  let commits = 0
  const { post, repo } = await telemetryApp(t, {
    options: { commitMaxQueuedRows: 8, parseWorkers: 1 },
    wrapRepo: r => ({
      ...r,
      insertSamples: async (b: readonly SampleBatch[]): Promise<SampleBatchResult[]> => {
        commits++
        await gate
        return r.insertSamples(b)
      },
    }),
  })
  const first = post(batch('a', T0 - 1000))
  await until(t, 'the first commit is running', () => commits === 1)
  // The commit holds the first batch; of the next two, one fits the queue (and waits for a
  // commit) and one does not: that one is answered first, while the commit still hangs.
  const both = [post(batch('b', T0 - 1000)), post(batch('c', T0 - 1000))]
  const refused = await Promise.race(both)
  t.equal(refused.status, 503)
  t.match(await refused.json(), { code: 'STORE_UNAVAILABLE', message: /queue full/ })
  release()
  const statuses = (await Promise.all(both)).map(r => r.status).sort()
  t.same(statuses, [200, 503])
  t.equal((await first).status, 200)
  t.equal(await repo.countSamples(), 16, 'the acknowledged rows, and only those')
})

t.test('closing with pushes in flight: every one acknowledged is stored, then the workers end', async t => {
  const parsePool = createParsePool({ size: 2, log: quiet })
  const closing = new AbortController()
  const { post, repo } = await telemetryApp(t, { parsePool, closing: closing.signal })
  const pushes = Array.from({ length: 40 }, async (_, i) => post(batch(`h${i % 10}`, T0 - 1000 * (1 + Math.floor(i / 10)))))
  // The stop begins while bodies are on (or on their way to) the workers.
  await until(t, 'a worker is parsing', () => parsePool.workers() > 0)
  closing.abort()
  const answers = await Promise.all(pushes)
  let acknowledged = 0
  for (const res of answers) {
    t.equal(res.status, 200)
    acknowledged += (await res.json() as { accepted: number }).accepted
  }
  t.equal(acknowledged, 320)
  t.equal(await repo.countSamples(), acknowledged, 'stored = acknowledged')
  await until(t, 'every parse worker ended', () => parsePool.workers() === 0)
  const late = await post(batch('late', T0 - 500))
  t.equal(late.status, 200, 'a push after the stop began parses on the event loop')
  t.equal(await repo.countSamples(), 328)
})

t.test('backpressure: past the parse pool\'s bytes a push is answered 503 at once, not logged, nothing stored', async t => {
  const parsePool = createParsePool({ size: 1, log: quiet, workerUrl: CRASHING, maxInFlightBytes: 10 })
  const { post, repo, logs } = await telemetryApp(t, { parsePool })
  t.teardown(() => parsePool.close())
  const held = post(null, { raw: 'hold' })
  await until(t, 'a body is on the worker', () => parsePool.workers() === 1)
  const refused = await post(batch('a', T0 - 1000))
  t.equal(refused.status, 503)
  t.match(await refused.json(), { code: 'STORE_UNAVAILABLE', message: /parse queue full/ })
  t.equal(logs.length, 0, 'not logged per request')
  const small = await post(null, { raw: '[1]' })
  t.equal(small.status, 400, 'a small body still fits (and releases the held one)')
  t.match(await (await held).json(), { code: 'INVALID_JSON' })
  t.equal(await repo.countSamples(), 0)
})
