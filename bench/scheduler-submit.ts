/**
 * Job submit latency under a steady 200 submits/s: the control plane as it ships
 * (startControlPlane with the scheduling routers and the scheduler loop, real timers: a
 * debounced cycle after submits, the 30 s interval) on @hono/node-server at 127.0.0.1:0 with
 * a SQLite WAL file, 1,000 nodes × 8 GPUs and 20 tenants. A separate load process
 * (bench/scheduler-submit-load.ts) sends POST /api/jobs with a real write-scoped API key,
 * open-loop every 5 ms. The queue grows during the run (the fleet fills), so later cycles
 * look at thousands of waiting jobs while submits keep arriving.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import pino from 'pino'
import { Registry } from 'prom-client'
import { generateApiKey } from '../shared/wire/api-key-format.ts'
import { parseControlPlaneConfig } from '../control-plane/config.ts'
import { startControlPlane } from '../control-plane/start-control-plane.ts'
import { schedulingParts } from '../control-plane/scheduling/scheduling-parts.ts'
import { percentile } from './timings.ts'

export interface SubmitBenchOptions { seconds: number, warmup: number, intervalMs: number, nodes: number }


export async function runSubmitBench (o: SubmitBenchOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gpufleet-bench-submit-'))
  const adminKey = generateApiKey()
  const config = parseControlPlaneConfig({ db: join(dir, 'gpufleet.db'), listen: '127.0.0.1:0', adminKey, logLevel: 'silent' })
  // Readings are written once here; a long staleness limit keeps them usable for the whole run.
  const parts = schedulingParts({ staleAfterMs: 3600_000 })
  const cp = await startControlPlane(config, { routers: parts.routers, loops: parts.loops, log: pino({ level: 'silent' }), registry: new Registry() })
  const { store } = cp
  const now = Date.now()
  const clusterIds: number[] = []
  for (let c = 0; c < 4; c++) clusterIds.push((await store.fleet.createCluster({ name: `bench-${c}`, region: 'bench' }, now))!.id)
  const nodeIds: number[] = []
  for (let i = 0; i < o.nodes; i++) {
    const { node } = await store.fleet.upsertNode({ clusterId: clusterIds[i % 4]!, hostname: `node-${i}`, totalGpus: 8 }, now)
    await store.fleet.registerGpus(node.id, Array.from({ length: 8 }, (_, g) => ({ gpuIndex: g, model: 'NVIDIA H100 80GB HBM3' })), now)
    nodeIds.push(node.id)
  }
  const gpus = await store.fleet.listGpus()
  await store.fleet.recordActivity({
    seen: nodeIds.map(nodeId => ({ nodeId, at: now, via: 'bench' })),
    readings: gpus.map(g => ({ gpuId: g.id, status: 'idle' as const, utilizationPct: 0, memoryUsedMb: 0, memoryTotalMb: 81920, temperatureC: 40, powerDrawW: 90, at: now })),
  })
  const tenants: number[] = []
  for (let i = 0; i < 20; i++) tenants.push((await store.tenants.create({ name: `tenant-${i}`, gpuQuota: 200 + i * 20 }, now))!.id)
  const minted = await fetch(`${cp.url}/api/api-keys`, {
    method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ label: 'bench-submitter', permissions: ['read', 'write'] }),
  })
  const key = (await minted.json() as { key: string }).key

  const loopDelay = monitorEventLoopDelay({ resolution: 5 })
  const started = Date.now()
  loopDelay.enable()
  const child = spawn(process.execPath, [
    join(import.meta.dirname, 'scheduler-submit-load.ts'), '--url', cp.url, '--key', key, '--clusters', clusterIds.join(','),
    '--tenants', tenants.join(','), '--interval-ms', String(o.intervalMs), '--seconds', String(o.seconds), '--warmup', String(o.warmup),
  ], { stdio: ['ignore', 'pipe', 'inherit'] })
  let result: Record<string, unknown> | undefined
  for await (const line of createInterface({ input: child.stdout })) result = JSON.parse(line) as Record<string, unknown>
  loopDelay.disable()
  if (result === undefined) throw new Error('the load process ended without a result')

  const cycles = (await store.jobs.listCycles(100_000)).filter(c => c.startedAt >= started)
  const stats = await store.jobs.queueStats(started)
  await cp.close()
  rmSync(dir, { recursive: true, force: true })

  const ms = cycles.map(c => c.durationMs)
  console.log(`job submit bench: POST /api/jobs every ${o.intervalMs} ms (open loop, separate load process, keep-alive), ${o.seconds} s measured after ${o.warmup} s warm-up`)
  console.log(`  server: startControlPlane + scheduling routers + scheduler loop (debounce 200 ms), @hono/node-server 127.0.0.1:0, SQLite WAL file; ${o.nodes} nodes × 8 GPUs, 20 tenants; real write-scoped API key`)
  console.log(`  submits/s ${result.rate_per_s}   statuses ${JSON.stringify(result.statuses)}   transport errors ${result.errors}`)
  console.log(`  latency issue→201      p50 ${result.p50_ms} ms   p90 ${result.p90_ms} ms   p99 ${result.p99_ms} ms   max ${result.max_ms} ms   (target p99 < 20 ms)`)
  console.log(`  latency scheduled→201  p50 ${result.p50_from_schedule_ms} ms   p99 ${result.p99_from_schedule_ms} ms   (generator max lag ${result.generator_max_lag_ms} ms, its event-loop delay max ${result.generator_loop_delay_max_ms} ms)`)
  console.log(`  scheduler during the run: ${cycles.length} cycles, duration p50 ${percentile(ms, 50).toFixed(1)} ms  p99 ${percentile(ms, 99).toFixed(1)} ms  max ${Math.max(...ms).toFixed(1)} ms; ` +
    `${cycles.reduce((n, c) => n + c.started, 0)} jobs started; at the end ${stats.running} running, ${stats.queued} queued, ${stats.blocked} blocked`)
  console.log(`  server event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`)
}
