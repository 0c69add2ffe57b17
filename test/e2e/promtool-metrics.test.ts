import t from 'tap'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createXidWatch } from '../../agent/collector/create-xid-watch.ts'
import { createMemoryLog } from '../agent/collector/memory-log.ts'
import { SEED_TIME, agentHarness, seedGpu, seedSnapshot } from '../agent/api/fixtures.ts'
import { pollUntil, runCli } from './run-cli.ts'

/**
 * `promtool check metrics` (Debian's prometheus package; test/setup/install-system-deps.sh
 * installs it) over both servers' /metrics. Allowed, and only these: dcgm-exporter's own
 * camelCase label (`modelName`) and its counters named without `_total`
 * (DCGM_FI_DEV_ECC_SBE_VOL_TOTAL, …): dashboards written for dcgm-exporter read those names.
 */
const ALLOWED = [
  /^DCGM_FI_[A-Z0-9_]+ label names should be written in 'snake_case' not 'camelCase'$/,
  /^DCGM_FI_[A-Z0-9_]+ counter metrics should have "_total" suffix$/,
]

function promtool (text: string): { status: number | null, problems: string[] } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
  if (run.error !== undefined) throw new Error(`promtool could not run (${run.error.message}): install Debian's "prometheus" package (test/setup/install-system-deps.sh)`)
  const lines = `${run.stdout}${run.stderr}`.split('\n').filter(l => l.trim() !== '')
  return { status: run.status, problems: [...new Set(lines.filter(l => !ALLOWED.some(re => re.test(l))))] }
}

t.test('promtool is installed (never skipped)', async t => {
  const v = spawnSync('promtool', ['--version'], { encoding: 'utf8' })
  t.equal(v.error, undefined, 'promtool on PATH: install Debian\'s "prometheus" package (test/setup/install-system-deps.sh)')
})

t.test('gpufleet up: the control plane\'s and the agent\'s /metrics pass promtool check metrics', async t => {
  const dataDir = join(t.testdir(), 'data')
  const up = runCli(['up', '--data-dir', dataDir, '--port', '0', '--agent-port', '0'])
  t.teardown(() => { up.child.kill('SIGKILL') })
  const [, cpUrl] = await up.waitFor(/control plane\s+(http:\/\/127\.0\.0\.1:\d+)/)
  const [, agentUrl] = await up.waitFor(/agent\s+(http:\/\/127\.0\.0\.1:\d+)/)
  // Once the agent's GPUs reached the control plane, every fleet gauge has series.
  const cp = await pollUntil(async () => {
    const text = await (await fetch(`${cpUrl}/metrics`)).text()
    return /gpufleet_cp_ingest_lag_seconds\{cluster="local"\}/.test(text) ? text : undefined
  }, 10_000)
  t.ok(cp, 'fleet gauges present')
  t.match(cp, /^gpufleet_cp_gpus\{cluster="local",state="idle"\} 8$/m, '8 simulated GPUs, idle')
  t.match(cp, /^gpufleet_cp_process_resident_memory_bytes \d+/m, 'process RSS')
  t.match(cp, /^gpufleet_cp_process_cpu_seconds_total \S+/m, 'process CPU')
  const cpCheck = promtool(cp ?? '')
  t.same(cpCheck.problems, [], 'control plane: no promtool problems')
  t.equal(cpCheck.status, 0)

  const agent = await (await fetch(`${agentUrl}/metrics`)).text()
  t.match(agent, /^DCGM_FI_DEV_GPU_TEMP\{/m, 'GPU series present')
  t.notMatch(agent, /^# TYPE \S+_total gauge$/m, 'no _total gauges')
  const agentCheck = promtool(agent)
  t.same(agentCheck.problems, [], 'agent: nothing but dcgm-exporter\'s own names')
  t.ok(agentCheck.status === 0 || agentCheck.status === 3, `promtool linted (exit ${agentCheck.status}), no parse error`)
  up.child.kill('SIGTERM')
  await up.exited
})

t.test('the agent\'s /metrics with Xids, health counters and process metrics passes too', async t => {
  const path = join(t.testdir(), 'kmsg')
  writeFileSync(path, '3,100,1000000,-;NVRM: Xid (PCI:0000:2a:00): 63, pid=\'<unknown>\', name=<unknown>, Row remapper: new row marked for remapping.\n')
  const xids = createXidWatch({ path, intervalMs: 5000, timers: { setTimeout: () => 0, clearTimeout: () => {} }, now: () => SEED_TIME, bootTimeMs: SEED_TIME - 3_600_000, log: createMemoryLog() })
  xids.start()
  t.teardown(() => xids.stop())
  const gpus = [seedGpu(), seedGpu({ index: 1, uuid: 'GPU-1111', pciBusId: '00000000:2A:00.0', remappedRowsCorrectable: 2, eccCorrectedVolatile: 17 })]
  const { app } = await agentHarness({ snapshot: seedSnapshot(SEED_TIME, gpus), deps: { xids, processMetrics: true } })
  const text = await (await app.request('/metrics')).text()
  t.match(text, /^gpufleet_agent_xid_errors_total\{/m)
  t.match(text, /^gpufleet_agent_process_resident_memory_bytes /m)
  const check = promtool(text)
  t.same(check.problems, [], 'nothing but dcgm-exporter\'s own names')
})
