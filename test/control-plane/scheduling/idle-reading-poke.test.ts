import t, { type Test } from 'tap'
import pino from 'pino'
import { productParts } from '../../../control-plane/product-parts.ts'
import { cpHarness } from '../cp-harness.ts'
import { fakeClock, T0 } from '../fleet/fleet-harness.ts'

/**
 * Issue 14, "Events, not polls", through the whole control plane: agents push over POST
 * /api/gpu-stats, jobs go through /api/jobs, and the scheduler productParts() wires runs on a
 * hand-moved clock (T0 is on a 30 s slot; every step below stays well inside the first slot).
 */
async function setup (t: Test) {
  const clock = fakeClock()
  const parts = productParts({ scheduling: { timers: clock.timers } })
  const h = await cpHarness(t, { routers: parts.routers, now: clock.now, keepAlive: true })
  // Every loop of the product, the scheduler among them (the others run on real timers: idle here).
  const loops = parts.loops.map(make => make({ store: h.store, log: pino({ level: 'silent' }), now: clock.now, registry: h.registry }))
  for (const l of loops) await l.start()
  t.teardown(async () => { for (const l of loops) await l.stop() })
  // The ingest answers once committed; the fleet and the scheduler hear of it just after.
  const flush = async () => { for (let i = 0; i < 30; i++) await new Promise(resolve => setImmediate(resolve)) }
  const push = async (hostname: string, utilizationPct: number[], model = 'NVIDIA H100 80GB HBM3') => {
    const res = await h.req('POST', '/api/gpu-stats', {
      key: h.root,
      body: {
        node: { hostname, cluster: 'c' },
        gpus: utilizationPct.map((u, i) => ({ gpu_id: i, name: model, utilization_pct: u, memory_used_mb: 0, memory_total_mb: 81920 })),
      },
    })
    t.equal(res.status, 200, `push from ${hostname}`)
    await flush()
  }
  const settle = async (ms = 200) => { await clock.advance(ms); await flush() }
  const job = async (id: number) => (await h.req('GET', `/api/jobs/${id}`, { key: h.root })).body
  const submit = async (body: Record<string, unknown>) => {
    const res = await h.req('POST', '/api/jobs', { key: h.root, body: { cluster_id: clusterId(), ...body } })
    t.equal(res.status, 201)
    return res.body.id as number
  }
  let cluster = 0
  const clusterId = () => cluster
  const lastTrigger = async () => (await h.store.jobs.listCycles(1))[0]?.trigger
  return {
    h, clock, push, settle, job, submit, lastTrigger,
    init: async () => {
      await push('n1', [0])
      cluster = (await h.store.fleet.listNodes())[0]!.clusterId
      await settle() // the start-up cycle
    },
  }
}

t.test('a job ends while its GPU still reads busy: the next idle reading starts the waiting job one debounce later, not at the next 30 s slot', async t => {
  const s = await setup(t)
  await s.init()
  const first = await s.submit({ name: 'first' })
  await s.settle()
  t.equal((await s.job(first)).status, 'running')
  await s.clock.advance(1000)
  await s.push('n1', [90])
  const second = await s.submit({ name: 'second' })
  await s.settle()
  t.match(await s.job(second), { status: 'queued' })

  t.equal((await s.h.req('PATCH', `/api/jobs/${first}`, { key: s.h.root, body: { status: 'completed' } })).status, 200)
  await s.settle()
  t.match(await s.job(second), { status: 'queued' }, 'the cycle after the end still reads the GPU at 90 %')

  await s.clock.advance(1000)
  const idleAt = s.clock.now()
  await s.push('n1', [0])
  await s.settle()
  t.match(await s.job(second), { status: 'running', started_at: new Date(idleAt + 200).toISOString() }, 'started by the idle reading')
  t.equal(await s.lastTrigger(), 'poke:gpu_idle')
  t.ok(s.clock.now() - T0 < 30_000, 'no periodic cycle was involved')
})

t.test('idle readings that free nothing a waiting job can take run no cycle', async t => {
  const s = await setup(t)
  await s.init()
  const running = await s.submit({ name: 'running' })
  await s.settle()
  t.equal((await s.job(running)).status, 'running')
  const cycles = async () => (await s.h.store.jobs.listCycles(100)).length
  await s.clock.advance(1000)
  await s.push('n2', [90, 90])
  await s.push('n3', [90], 'NVIDIA A100-SXM4-80GB')
  const quiet = async (what: string) => {
    const before = await cycles()
    await s.settle()
    t.equal(await cycles(), before, what)
  }

  await s.clock.advance(1000)
  await s.push('n2', [0, 90])
  await quiet('nothing waits')

  const a100 = await s.submit({ name: 'a100', gpu_type: 'A100' })
  await s.settle()
  t.match(await s.job(a100), { status: 'queued' }, 'the one A100 is busy')
  await s.clock.advance(1000)
  await s.push('n2', [0, 0])
  await quiet('a freed H100 is no use to a job that asks for an A100')

  const big = await s.submit({ name: 'big', gpu_count: 3 })
  await s.settle()
  t.match(await s.job(big), { status: 'queued' }, '3 H100s asked, 2 free')
  await s.clock.advance(1000)
  await s.push('n1', [90])
  await s.clock.advance(1000)
  await s.push('n1', [0])
  await quiet('the running job\'s own GPU dipping to idle frees nothing: it is held')
  await s.clock.advance(6000)
  await s.push('n2', [0, 0])
  await quiet('a GPU that stays idle is not freed again by its rewritten reading')

  await s.clock.advance(1000)
  await s.push('n3', [0], 'NVIDIA A100-SXM4-80GB')
  await s.settle()
  t.equal(await s.lastTrigger(), 'poke:gpu_idle', 'the A100 turning idle pokes')
  t.equal((await s.job(a100)).status, 'running')
  t.ok(s.clock.now() - T0 < 30_000, 'no periodic cycle was involved')
})

t.test('seed 003 bulk metrics (POST /api/clusters/metrics) free a GPU the same way', async t => {
  const s = await setup(t)
  await s.init()
  const gpuId = (await s.h.store.fleet.listGpus())[0]!.id
  const metrics = async (utilizationPct: number) => {
    const res = await s.h.req('POST', '/api/clusters/metrics', { key: s.h.root, body: { metrics: [{ gpu_id: gpuId, utilization_pct: utilizationPct }] } })
    t.equal(res.status, 200)
    await s.settle(0)
  }
  const first = await s.submit({ name: 'first' })
  await s.settle()
  await s.clock.advance(1000)
  await metrics(90)
  const second = await s.submit({ name: 'second' })
  await s.settle()
  t.equal((await s.h.req('PATCH', `/api/jobs/${first}`, { key: s.h.root, body: { status: 'completed' } })).status, 200)
  await s.settle()
  t.match(await s.job(second), { status: 'queued' })
  await s.clock.advance(1000)
  await metrics(0)
  await s.settle()
  t.equal((await s.job(second)).status, 'running')
  t.equal(await s.lastTrigger(), 'poke:gpu_idle')
})
