/**
 * The load side of bench/ingest.ts, run as its own process so its CPU is not the server's:
 * N simulated agents (8 GPUs each, 1 Hz) through createPushLoad (bench/load/run-push-load.ts).
 * Prints JSON lines: {event:'start'} when the measured part begins, then the result.
 *
 *   node bench/ingest-load.ts --url http://127.0.0.1:PORT --key KEY --agents 5000 --seconds 60
 */
import { benchArgs } from './bench-args.ts'
import { createPushLoad, type BodyTemplate } from './load/run-push-load.ts'

const args = benchArgs({ url: null, key: '', agents: '5000', gpus: '8', ticks: '1', seconds: '60', connections: '256', warmup: '5', 'agent-form': false })
const gpus = Number(args.gpus)
// --ticks N: each agent pushes N seconds of ticks every N seconds (the agent's batch form).
const ticks = Number(args.ticks)

// One realistic agent body (toGpuStatRows' shape: every extension field), with the tick's
// time spliced in per push; values vary per GPU like a busy 8×B200 host.
function template (agent: number): BodyTemplate {
  const rows = Array.from({ length: gpus * ticks }, (_, i) => i % gpus).map(g => ({
    gpu_id: g,
    name: 'NVIDIA B200',
    power_draw_w: 600 + ((agent * 7 + g * 13) % 400),
    temp_c: 40 + (g % 20),
    memory_used_mb: 173456,
    memory_total_mb: 183359,
    utilization_pct: 50 + (agent + g) % 50,
    recorded_at: '@T@',
    uuid: `GPU-${agent.toString(16).padStart(8, '0')}-0000-0000-0000-${g.toString().padStart(12, '0')}`,
    pci_bus_id: `00000000:${(0x18 + g).toString(16)}:00.0`,
    power_draw_avg_w: 590,
    power_limit_w: 1000,
    memory_temp_c: 45,
    memory_reserved_mb: 512,
    memory_utilization_pct: 35,
    sm_clock_mhz: 1965,
    mem_clock_mhz: 3996,
    ecc_errors_corrected: 0,
    ecc_errors_uncorrected: 0,
  }))
  const body = JSON.stringify({ node: { hostname: `bench-node-${agent}`, cluster: `bench-${agent % 4}`, agent_version: 'bench' }, gpus: rows })
  return body.split('"@T@"')
}

const load = createPushLoad({
  url: args.url,
  key: args.key,
  templates: Array.from({ length: Number(args.agents) }, (_, i) => template(i)),
  everySeconds: ticks,
  seconds: Number(args.seconds),
  warmup: Number(args.warmup),
  connections: Number(args.connections),
  agentForm: args['agent-form'],
  onMeasureStart: () => process.stdout.write(JSON.stringify({ event: 'start' }) + '\n'),
})
process.stdout.write(JSON.stringify(await load.run()) + '\n')
