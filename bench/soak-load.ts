/**
 * The load side of bench/soak.ts (its own process, so its CPU is not the control plane's):
 * N simulated agents (bench/load/simulated-agent.ts). Each cluster is created with the admin
 * key and its agents use the ingest key it returns, as real agents do; every agent registers
 * its node and GPUs, then pushes an 8-GPU batch at 1 Hz (createPushLoad) and re-posts its
 * node every 30 s (the agent's heartbeat). Prints JSON lines: registered, start, progress
 * (every minute), done.
 *
 *   node bench/soak-load.ts --url URL --admin-key KEY --agents 1000 --seconds 600 --warmup 60
 */
import { benchArgs } from './bench-args.ts'
import { Pool } from 'undici'
import { GPUS_PATH, NODES_PATH } from '../shared/wire/registration.ts'
import { createPushLoad } from './load/run-push-load.ts'
import { simulatedAgent } from './load/simulated-agent.ts'

const args = benchArgs({
  url: null, 'admin-key': null, agents: '1000', clusters: '4', seconds: '600', warmup: '60', connections: '128', 'heartbeat-s': '30',
})
const agents = Number(args.agents)
const clusterCount = Number(args.clusters)
const heartbeatS = Number(args['heartbeat-s'])
const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')

// Registration and heartbeats on their own small pool, apart from the pushes.
const control = new Pool(args.url, { connections: 16 })
async function post (path: string, key: string, body: unknown): Promise<{ status: number, json: any }> {
  const res = await control.request({
    path, method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  })
  const text = await res.body.text()
  return { status: res.statusCode, json: text === '' ? null : JSON.parse(text) }
}

const clusterKeys: string[] = []
for (let c = 0; c < clusterCount; c++) {
  const r = await post('/api/clusters', args['admin-key'], { name: `soak-${c}`, region: `region-${c}` })
  if (r.status !== 201) throw new Error(`creating cluster soak-${c}: HTTP ${r.status} ${JSON.stringify(r.json)}`)
  clusterKeys.push(r.json.api_key as string)
}

const sims = Array.from({ length: agents }, (_, i) => simulatedAgent(i, { cluster: `soak-${i % clusterCount}`, region: `region-${i % clusterCount}`, prefix: 'soak-node' }))
const keyOf = (i: number) => clusterKeys[i % clusterCount]!
const nodeIds: number[] = new Array(agents)
const t0 = performance.now()
let nextAgent = 0
await Promise.all(Array.from({ length: 16 }, async () => {
  while (nextAgent < agents) {
    const i = nextAgent++
    const n = await post(NODES_PATH, keyOf(i), sims[i]!.node)
    if (n.status !== 201 && n.status !== 200) throw new Error(`registering ${sims[i]!.hostname}: HTTP ${n.status} ${JSON.stringify(n.json)}`)
    nodeIds[i] = n.json.id as number
    const g = await post(GPUS_PATH, keyOf(i), sims[i]!.gpus(nodeIds[i]!))
    if (g.status !== 201 && g.status !== 200) throw new Error(`registering GPUs of ${sims[i]!.hostname}: HTTP ${g.status} ${JSON.stringify(g.json)}`)
  }
}))
emit({ event: 'registered', agents, clusters: clusterCount, seconds: (performance.now() - t0) / 1000 })

const heartbeats = new Map<string, number>()
const load = createPushLoad({
  url: args.url,
  key: sims.map((_, i) => keyOf(i)),
  templates: sims.map((s, i) => s.pushTemplate(nodeIds[i]!)),
  seconds: Number(args.seconds),
  warmup: Number(args.warmup),
  connections: Number(args.connections),
  onMeasureStart: () => emit({ event: 'start' }),
  onTick (agent, round) {
    if (round === 0 || (round + agent) % heartbeatS !== 0) return
    post(NODES_PATH, keyOf(agent), sims[agent]!.node).then(
      r => heartbeats.set(String(r.status), (heartbeats.get(String(r.status)) ?? 0) + 1),
      () => heartbeats.set('error', (heartbeats.get('error') ?? 0) + 1),
    )
  },
})
let minute = 0
const progress = setInterval(() => emit({ event: 'progress', minute: ++minute, ...load.live() }), 60_000)
const result = await load.run()
clearInterval(progress)
await control.close()
emit({ ...result, heartbeats: Object.fromEntries(heartbeats) })
