/**
 * gpufleet's telemetry beside its peer (issue 18, "Proof"): the same generated workload, H hosts
 * × 8 GPUs × 7 gauges per GPU per second, pushed in the agent's batch form (each push one host's
 * --ticks seconds), into
 *   - gpufleet on SQLite (`gpufleet control-plane --db FILE`),
 *   - gpufleet on PostgreSQL (a throwaway cluster with default durability, started here),
 *   - VictoriaMetrics alone (Debian's victoria-metrics, /api/v1/import, dcgm-exporter names),
 *   - gpufleet with `--telemetry vm=URL` in front of its own VictoriaMetrics (bench/peers/targets.ts),
 * each a fresh server in a fresh directory, interleaved (every repetition runs each target once,
 * the order rotating), as fast as --connections concurrent pushes go. Each run first pushes
 * --warmup blocks of every host (not measured: a fleet's hosts register and a peer creates its
 * series once, so what is measured is steady-state ingest). Per run: CPU of the server
 * under test per 1k GPU-rows (its processes' CPU time from /proc while the workload is pushed:
 * for PostgreSQL gpufleet's and the cluster's), RSS max (sampled every 250 ms, all its
 * processes), disk per GPU-row after a clean stop (PostgreSQL: pg_database_size, WAL not
 * counted), and power-history p50/p99 over --queries sequential queries of the last day in
 * 5-minute buckets (gpufleet's GET /api/gpu-stats/power-history; VictoriaMetrics:
 * max_over_time(sum(DCGM_FI_DEV_POWER_USAGE)[5m:1s]), its result cache off). Medians of the
 * repetitions, each also as a ratio to VictoriaMetrics.
 *
 *   node bench/telemetry-peers.ts [--hosts 1000,5000] [--seconds 20] [--ticks 10] [--warmup 1] [--reps 3]
 *     [--connections 32] [--queries 10] [--threads] [--targets gpufleet-sqlite,gpufleet-postgres,gpufleet-vm,victoria-metrics]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { benchArgs } from './bench-args.ts'
import { threadCpuSeconds, treeCpuSeconds, treeRssBytes } from './peers/proc-tree.ts'
import { TARGETS, type Running } from './peers/targets.ts'
import { gpufleetBody, vmBody, GPUS } from './peers/workload.ts'

const args = benchArgs({
  hosts: '1000,5000', seconds: '20', ticks: '10', warmup: '1', reps: '3', connections: '32', queries: '10', threads: false,
  targets: 'gpufleet-sqlite,gpufleet-postgres,gpufleet-vm,victoria-metrics',
})
const sizes = args.hosts.split(',').map(Number)
const seconds = Number(args.seconds)
const ticks = Number(args.ticks)
const warmup = Number(args.warmup)
const reps = Number(args.reps)
const connections = Number(args.connections)
const queries = Number(args.queries)
const perThread = args.threads
const targets = args.targets.split(',').map(name => {
  const t = TARGETS.find(x => x.name === name)
  if (t === undefined) throw new Error(`--targets: unknown ${name} (known: ${TARGETS.map(x => x.name).join(', ')})`)
  return t
})
if (seconds % ticks !== 0) throw new Error('--seconds must be a multiple of --ticks')

interface Figures { cpuMsPer1k: number, rssMiB: number, diskBytesPerRow: number, p50: number, p99: number, rowsPerS: number, maxW: number }

/** `blocks` of `ticks` seconds of every host from t0, time-major; values counted from `origin`. */
async function push (r: Running, hosts: number, t0: number, blocks: number, origin: number): Promise<number> {
  const pool = new Pool(r.ingest.url, { connections, pipelining: 1 })
  let next = 0
  const total = hosts * blocks
  let failures = 0
  async function lane (): Promise<void> {
    while (next < total) {
      const i = next++
      // Time-major, like the fleet: every host's first block, then every host's second.
      const host = i % hosts
      const from = t0 + Math.floor(i / hosts) * ticks * 1000
      const body = r.ingest.form === 'gpufleet' ? gpufleetBody(host, from, ticks, origin) : vmBody(host, from, ticks, origin)
      for (let attempt = 0; ; attempt++) {
        const res = await pool.request({ path: r.ingest.path, method: 'POST', headers: r.ingest.headers, body })
        const text = await res.body.text()
        if (res.statusCode < 300) break
        // A 503 is backpressure: retry as an agent would; anything else is a broken run.
        if (res.statusCode !== 503 || attempt > 50) throw new Error(`push: ${res.statusCode} ${text.slice(0, 200)}`)
        failures++
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, lane))
  await pool.close()
  return failures
}

async function measure (target: typeof targets[number], hosts: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), `gpufleet-peers-${target.name}-`))
  try {
    const r = await target.start(dir)
    const stopped = { disk: -1 }
    try {
      return await measureRunning(target.name, r, hosts, stopped)
    } finally {
      // A failed run still ends its server before its directory goes.
      if (stopped.disk < 0) await r.stop().catch(() => {})
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function measureRunning (name: string, r: Running, hosts: number, stopped: { disk: number }): Promise<Figures> {
  let rssMax = 0
  const sampler = setInterval(() => { rssMax = Math.max(rssMax, treeRssBytes(r.pids)) }, 250)
  try {
    // Whole seconds ending 5 s ago, as fresh as a live fleet's, taken per run: a target after a
    // slower one in the same repetition got data over a minute old, which gpufleet takes as late
    // data (its per-GPU history marks and rebuilds those minutes, a backfill's cost). The values
    // count from the data's first second, so every run pushes the same samples.
    const t0 = Math.floor(Date.now() / 1000) * 1000 - (seconds + 5) * 1000
    const origin = t0 - warmup * ticks * 1000
    let retried = await push(r, hosts, origin, warmup, origin)
    await r.flush()
    const cpu0 = treeCpuSeconds(r.pids)
    const threads0 = perThread ? threadCpuSeconds(r.pids) : null
    const wall0 = performance.now()
    retried += await push(r, hosts, t0, seconds / ticks, origin)
    await r.flush()
    const cpuS = treeCpuSeconds(r.pids) - cpu0
    const rows = hosts * GPUS * seconds
    if (threads0 !== null) {
      // Where the CPU went, per thread (the event loop, workers, libuv's pool, GC helpers).
      const spent = [...threadCpuSeconds(r.pids)].map(([k, v]) => [k, v - (threads0.get(k) ?? 0)] as const).filter(([, v]) => v > 0)
      for (const [k, v] of spent.sort((a, b) => b[1] - a[1])) console.log(`    ${name} thread ${k}: ${(v / rows * 1e6).toFixed(2)} ms/1k rows`)
    }
    const wallS = (performance.now() - wall0) / 1000
    const latencies: number[] = []
    let maxW = 0
    for (let q = 0; q < queries; q++) {
      const started = performance.now()
      const points = await r.powerHistory()
      latencies.push(performance.now() - started)
      maxW = Math.max(0, ...points)
    }
    rssMax = Math.max(rssMax, treeRssBytes(r.pids))
    stopped.disk = await r.stop()
    latencies.sort((a, b) => a - b)
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!
    if (retried > 0) console.log(`    (${name}: ${retried} pushes answered 503 and retried)`)
    return { cpuMsPer1k: cpuS / rows * 1e6, rssMiB: rssMax / 2 ** 20, diskBytesPerRow: stopped.disk / (rows + hosts * GPUS * warmup * ticks), p50: at(0.5), p99: at(0.99), rowsPerS: rows / wallS, maxW }
  } finally {
    clearInterval(sampler)
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const f = (n: number, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const fmtLoad = () => loadavg().map(x => x.toFixed(1)).join(' ')

console.log(`telemetry peers: ${GPUS} GPUs × 7 gauges per host per second, ${seconds} s of data per run (after ${warmup * ticks} s of warm-up) pushed ${ticks} ticks a push over ${connections} connections; ${reps} repetitions, targets interleaved`)
console.log(`  machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average (1/5/15 min) at start ${fmtLoad()}`)
for (const hosts of sizes) {
  const results = new Map<string, Figures[]>(targets.map(t => [t.name, []]))
  const skipped = new Map<string, string>()
  for (let rep = 0; rep < reps; rep++) {
    const order = targets.map((_, i) => targets[(i + rep) % targets.length]!)
    for (const target of order) {
      if (skipped.has(target.name)) continue
      try {
        const fig = await measure(target, hosts)
        results.get(target.name)!.push(fig)
        console.log(`  ${hosts} hosts, rep ${rep + 1}, ${target.name}: ${f(fig.cpuMsPer1k, 2)} ms CPU/1k rows, ${f(fig.rowsPerS, 0)} rows/s, RSS ${f(fig.rssMiB, 0)} MiB, ${f(fig.diskBytesPerRow, 1)} B/row, power-history p50 ${f(fig.p50)} ms p99 ${f(fig.p99)} ms, max bucket ${f(fig.maxW, 1)} W (load ${fmtLoad()})`)
      } catch (err) {
        skipped.set(target.name, (err as Error).message.split('\n')[0]!)
        console.log(`  ${target.name}: skipped (${skipped.get(target.name)})`)
      }
    }
  }
  const vm = results.get('victoria-metrics') ?? []
  const ref = (pick: (x: Figures) => number) => vm.length === 0 ? null : median(vm.map(pick))
  const ratio = (v: number, r: number | null) => r === null || r === 0 ? '' : ` (${v / r < 0.1 ? (v / r).toPrecision(2) : f(v / r, 2)}×)`
  console.log(`\n  ${hosts} hosts × ${GPUS} GPUs = ${hosts * GPUS * seconds} GPU-rows a run; medians of ${reps}, (×) = ratio to VictoriaMetrics`)
  console.log('  | target | CPU per 1k GPU-rows | rows/s pushed | RSS max | disk per row | power-history p50 | p99 | max bucket |')
  console.log('  |---|---|---|---|---|---|---|---|')
  for (const [name, figs] of results) {
    if (figs.length === 0) continue
    const m = (pick: (x: Figures) => number) => median(figs.map(pick))
    console.log(`  | ${name} | ${f(m(x => x.cpuMsPer1k), 2)} ms${ratio(m(x => x.cpuMsPer1k), ref(x => x.cpuMsPer1k))} | ${f(m(x => x.rowsPerS), 0)} | ${f(m(x => x.rssMiB), 0)} MiB${ratio(m(x => x.rssMiB), ref(x => x.rssMiB))} | ${f(m(x => x.diskBytesPerRow), 1)} B${ratio(m(x => x.diskBytesPerRow), ref(x => x.diskBytesPerRow))} | ${f(m(x => x.p50))} ms${ratio(m(x => x.p50), ref(x => x.p50))} | ${f(m(x => x.p99))} ms${ratio(m(x => x.p99), ref(x => x.p99))} | ${f(m(x => x.maxW), 1)} W |`)
  }
  for (const [name, why] of skipped) console.log(`  ${name}: skipped (${why})`)
  console.log(`  load average at the end ${fmtLoad()}\n`)
}
