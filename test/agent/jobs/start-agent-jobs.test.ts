import { join } from 'node:path'
import pino from 'pino'
import t from 'tap'
import { startAgent } from '../../../agent/start-agent.ts'
import { defaultSimState, writeSimState } from '../../fakes/sim-state.ts'
import { simAgentConfig } from '../../helpers/sim-agent-config.ts'
import { startFakeJobControlPlane } from './fake-job-control-plane.ts'
import { assignment, JOB_USER, stateDir, until } from './job-harness.ts'

// The agent as main wires it (simulator GPUs), its jobs part against the fake control plane.
t.setTimeout(300_000)
const KEY = 'gfk_agent_ingest_key_for_tests_0000000000000000'
const LONG = 60_000

t.test('startAgent runs assigned jobs; a restarted agent re-adopts a running one and it finishes once', async t => {
  const dir = stateDir()
  writeSimState(join(dir, 'sim.json'), defaultSimState(2))
  const cp = await startFakeJobControlPlane(KEY)
  t.teardown(() => cp.close())
  const config = simAgentConfig(dir, { controlPlane: cp.url, apiKey: KEY, hostname: 'node-1', jobUser: JOB_USER, intervalMs: 500 })
  const start = () => startAgent(config, { env: { ...process.env, NVIDIA_SMI_SIM_STATE: join(dir, 'sim.json') }, log: pino({ level: 'silent' }) })
  const go = join(dir, 'go')
  const job = assignment({ job_id: 21, command: ['sh', '-c', 'while [ ! -e "$GO" ]; do sleep 0.05; done; echo finished; exit 0'], env: { GO: go } })
  cp.setJobs([job])
  const first = await start()
  let second: Awaited<ReturnType<typeof start>> | undefined
  t.teardown(async () => { await first.stop(); await second?.stop() })
  await until('started', () => cp.events.some(e => e.event.event === 'started'), undefined, LONG)
  const started = cp.events.find(e => e.event.event === 'started')!.event as { pid: number }
  t.same(first.jobOfPid(started.pid), { job_id: 21, run: job.run })
  await first.stop()
  t.ok(cp.events.every(e => e.event.event === 'started'), 'stopping the agent does not stop the job')

  second = await start()
  await until('the new agent polled', () => cp.requests.filter(r => r.method === 'GET').length >= 2, undefined, LONG)
  const { writeFileSync } = await import('node:fs')
  writeFileSync(go, '')
  await until('exited', () => cp.events.some(e => e.event.event === 'exited'), undefined, LONG)
  await until('log uploaded', () => cp.log(21, job.run).toString() === 'finished\n', undefined, LONG)
  t.same(cp.events.map(e => e.event.event), ['started', 'exited'], 'one start, one exit')
  t.match(cp.events[1]!.event, { exit_code: 0, failure: null })
})

t.test('--no-jobs: no assignments asked for', async t => {
  const dir = stateDir()
  writeSimState(join(dir, 'sim.json'), defaultSimState(1))
  const cp = await startFakeJobControlPlane(KEY)
  t.teardown(() => cp.close())
  const agent = await startAgent(simAgentConfig(dir, { controlPlane: cp.url, apiKey: KEY, jobs: false, intervalMs: 500 }), { env: { ...process.env, NVIDIA_SMI_SIM_STATE: join(dir, 'sim.json') }, log: pino({ level: 'silent' }) })
  t.teardown(() => agent.stop())
  await until('registration tried', () => cp.requests.length > 0, undefined, LONG)
  await new Promise(resolve => setTimeout(resolve, 300))
  t.notOk(cp.requests.some(r => r.path === '/api/agent/assignments'))
  t.equal(agent.jobOfPid(process.pid), null)
})
