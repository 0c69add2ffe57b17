/**
 * The parse pool alone (control-plane/telemetry/create-parse-pool.ts): N agent-batch bodies of
 * the peers bench's workload (80 rows each), 32 in flight, through a pool of PP_SIZE workers
 * (default 2; PP_YOUNG sets their young generation, MiB). Prints the event-loop thread's CPU
 * per body (the hand-off: posting, the replies' structured clone), the whole process's, the
 * wall time per body and RSS max.
 *
 *   PP_SIZE=1 node bench/parse-pool-probe.ts [N=6000]
 */
import { createParsePool } from '../control-plane/telemetry/create-parse-pool.ts'
import { gpufleetBody } from './peers/workload.ts'

const n = Number(process.argv[2] ?? 6000)
const inFlight = 32
const enc = new TextEncoder()
const bodies = Array.from({ length: 200 }, (_, i) => enc.encode(gpufleetBody(i, 1_700_000_000_000, 10)))
const pool = createParsePool({
  size: Number(process.env.PP_SIZE ?? 2),
  log: { warn: (obj, msg) => console.warn(msg, obj), error: (obj, msg) => console.error(msg, obj) },
  ...(process.env.PP_YOUNG === undefined ? {} : { youngGenerationMb: Number(process.env.PP_YOUNG) }),
})
const window = { receivedAt: 1_700_000_100_000, oldestMs: 0, newestMs: 1_800_000_000_000 }
let next = 0
let rssMax = 0
const thread0 = process.threadCpuUsage()
const process0 = process.cpuUsage()
const wall0 = performance.now()
const sampler = setInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage.rss()) }, 50)
async function lane (): Promise<void> {
  while (next < n) {
    const body = bodies[next++ % bodies.length]!
    if (!(await pool.parse(body.slice(), window)).ok) throw new Error('a body was refused')
  }
}
await Promise.all(Array.from({ length: inFlight }, lane))
const thread = process.threadCpuUsage(thread0)
const all = process.cpuUsage(process0)
const wallMs = performance.now() - wall0
clearInterval(sampler)
console.log(`event-loop thread ${((thread.user + thread.system) / n).toFixed(1)} µs/body, process ${((all.user + all.system) / n).toFixed(1)} µs/body, wall ${(wallMs * 1000 / n).toFixed(1)} µs/body, RSS max ${(rssMax / 2 ** 20).toFixed(0)} MiB`)
await pool.close()
