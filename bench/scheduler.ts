/**
 * The scheduler's two benchmarks (figures quoted in docs/performance.md):
 * - cycle:  one scheduling cycle with 10,000 waiting jobs over 1,000 nodes × 8 GPUs (target < 250 ms);
 * - submit: POST /api/jobs p99 at 200 submits/s over real HTTP (target < 20 ms).
 *
 *   node bench/scheduler.ts [--only cycle|submit] [--cycles 10] [--queued 10000] [--nodes 1000] [--seconds 30] [--warmup 3]
 */
import { cpus, loadavg } from 'node:os'
import { benchArgs } from './bench-args.ts'
import { runCycleBench } from './scheduler-cycle.ts'
import { runSubmitBench } from './scheduler-submit.ts'

const args = benchArgs({
  only: undefined, cycles: '10', queued: '10000', nodes: '1000', seconds: '30', warmup: '3', 'interval-ms': '5', seed: '7',
})
if (args.only !== undefined && args.only !== 'cycle' && args.only !== 'submit') throw new Error('--only must be cycle or submit')

const fmtLoad = () => loadavg().map(x => x.toFixed(1)).join(' ')
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; Node ${process.version}; load average before ${fmtLoad()}`)
if (args.only !== 'submit') {
  await runCycleBench({ nodes: Number(args.nodes), gpusPerNode: 8, queued: Number(args.queued), cycles: Number(args.cycles), seed: Number(args.seed) })
}
if (args.only !== 'cycle') {
  await runSubmitBench({ seconds: Number(args.seconds), warmup: Number(args.warmup), intervalMs: Number(args['interval-ms']), nodes: Number(args.nodes) })
}
console.log(`load average after ${fmtLoad()}`)
