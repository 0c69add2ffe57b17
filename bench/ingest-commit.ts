/**
 * The ingest commit path alone, in simulated time: N agents × 8 GPUs at 1 Hz for S seconds
 * of recorded_at, written through the SQLite store's insertSamples in group-commit sized
 * transactions (the HTTP bench's typical ~125 pushes each), back to back. Reports CPU and
 * wall time per commit per 10 s of simulated data, so growth with run length (index depth,
 * WAL size, checkpoints) shows without an HTTP server or a load process sharing the CPU.
 *
 * With --checkpoint off the WAL only grows, so its growth per commit is the pages each commit
 * wrote (the B-tree write amplification that grows with the indexes' size).
 *
 * --interval-ms: each agent's tick interval (the agent's --interval-ms; 1000 by default), the
 * agents spread over it; below 1000 a node has several ticks in one wall-clock second, which
 * the per-second power sums must not add up (seed 000: per recorded_at).
 *
 * The pushes are packed as parse workers hand them on (store/packed-samples.ts), before the
 * clock starts. --writer inline runs the telemetry writer on this thread, so the CPU reported
 * is the writer's own work per row (the SQL and the rollups); thread (the default, as the
 * server runs) reports the event loop's part of a commit. --ticks k: each push carries k ticks
 * of its 8 GPUs (the agent's backfill form is 10; live pushes 1).
 *
 *   node bench/ingest-commit.ts [--agents 5000] [--seconds 60] [--per-commit 125] [--checkpoint thread|inline|off] [--interval-ms 1000]
 *     [--writer thread|inline] [--ticks 1]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchArgs } from './bench-args.ts'
import { openSqliteStore } from '../control-plane/store/sqlite/open-sqlite-store.ts'
import type { GpuSample, SampleBatch } from '../control-plane/store/telemetry-repository.ts'
import { packSamples, packedSampleBatch } from '../control-plane/store/packed-samples.ts'

const args = benchArgs({ agents: '5000', seconds: '60', 'per-commit': '125', checkpoint: 'thread', 'interval-ms': '1000', writer: 'thread', ticks: '1' })
const ticks = Number(args.ticks)
if (!Number.isInteger(ticks) || ticks < 1) throw new Error('--ticks is a positive integer')
if (args.writer !== 'thread' && args.writer !== 'inline') throw new Error('--writer is thread or inline')
const intervalMs = Number(args['interval-ms'])
if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new Error('--interval-ms is a positive integer')
const agents = Number(args.agents)
const seconds = Number(args.seconds)
const perCommit = Number(args['per-commit'])

const dir = mkdtempSync(join(tmpdir(), 'gpufleet-bench-commit-'))
const dbPath = join(dir, 'gpufleet.db')
const store = await openSqliteStore(dbPath, { checkpoint: args.checkpoint as 'thread' | 'inline' | 'off', telemetryWriter: args.writer })

function batch (agent: number, at: number): SampleBatch {
  const samples: GpuSample[] = []
  for (let k = 0; k < ticks; k++) for (let g = 0; g < 8; g++) {
    samples.push({
      gpuId: g, recordedAt: at + k * intervalMs, name: 'NVIDIA B200', uuid: `GPU-${agent}-${g}`, pciBusId: `00000000:${(0x18 + g).toString(16)}:00.0`,
      powerDrawW: 600 + ((agent * 7 + g * 13) % 400), tempC: 40 + g, memoryUsedMb: 173456, memoryTotalMb: 183359,
      utilizationPct: 50 + (agent + g) % 50, powerDrawAvgW: 590, powerLimitW: 1000, memoryTempC: 45, memoryReservedMb: 512,
      memoryUtilizationPct: 35, smClockMhz: 1965, memClockMhz: 3996, eccErrorsCorrected: 0, eccErrorsUncorrected: 0, pstate: 0,
    })
  }
  return packedSampleBatch({ nodeId: agent + 1, clusterId: (agent % 4) + 1, hostname: `bench-node-${agent}` }, packSamples(samples))
}

const size = (p: string) => { try { return statSync(p).size / 2 ** 20 } catch { return 0 } }
const t0 = Math.floor(Date.now() / 1000) * 1000 - seconds * 1000
const bins: Array<{ commits: number, rows: number, cpuUs: number, wallMs: number, maxMs: number, walls: number[], walMiB: number }> = []
let pending: SampleBatch[] = []
for (let step = 0; step * intervalMs < seconds * 1000; step += ticks) {
  const s = Math.floor(step * intervalMs / 1000)
  for (let a = 0; a < agents; a++) {
    pending.push(batch(a, t0 + step * intervalMs + Math.floor(a / agents * intervalMs)))
    if (pending.length < perCommit && a < agents - 1) continue
    const bin = bins[Math.floor(s / 10)] ??= { commits: 0, rows: 0, cpuUs: 0, wallMs: 0, maxMs: 0, walls: [], walMiB: size(dbPath + '-wal') }
    const cpu = process.threadCpuUsage()
    const w = performance.now()
    await store.telemetry.insertSamples(pending)
    const wall = performance.now() - w
    const c = process.threadCpuUsage(cpu)
    bin.commits++
    bin.rows += pending.length * 8 * ticks
    bin.cpuUs += c.user + c.system
    bin.wallMs += wall
    bin.maxMs = Math.max(bin.maxMs, wall)
    bin.walls.push(wall)
    pending = []
  }
}
const walEnd = size(dbPath + '-wal')
console.log(`ingest commit path: ${agents} agents × 8 GPUs every ${intervalMs} ms × ${seconds} s simulated, ${ticks} tick(s) a push, ${perCommit} pushes per commit, checkpoints ${args.checkpoint}, writer ${args.writer}`)
// WAL frames are a 24-byte header plus one 4 KiB page.
const pagesPerCommit = (b: { walMiB: number, commits: number }, endMiB: number) =>
  ((endMiB - b.walMiB) * 2 ** 20 / (4096 + 24) / b.commits).toFixed(0)
bins.forEach((b, i) => {
  b.walls.sort((x, y) => x - y)
  const p99 = b.walls[Math.floor(b.walls.length * 0.99)]!
  console.log(`  ${String(i * 10).padStart(3)}–${i * 10 + 10} s: ${args.writer === 'inline' ? 'writer' : 'main-thread'} CPU ${(b.cpuUs / b.rows).toFixed(2)} µs/row, wall mean ${(b.wallMs / b.commits).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${b.maxMs.toFixed(1)} ms per commit` +
    (args.checkpoint === 'off' ? `; WAL ${pagesPerCommit(b, bins[i + 1]?.walMiB ?? walEnd)} pages per commit` : ''))
})
console.log(`  db ${size(dbPath).toFixed(0)} MiB, wal ${size(dbPath + '-wal').toFixed(0)} MiB`)
await store.close()
rmSync(dir, { recursive: true, force: true })
