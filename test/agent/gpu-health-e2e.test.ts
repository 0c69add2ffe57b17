import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import t from 'tap'
import { startAgent } from '../../agent/start-agent.ts'
import { startControlPlaneSink } from '../fakes/control-plane-sink.ts'
import { defaultSimState, updateSimState, writeSimState } from '../fakes/sim-state.ts'
import { simAgentConfig } from '../helpers/sim-agent-config.ts'

// The health readings through the real path: the simulator prints the row remapper and the
// clocks event reasons as the 590 driver does, the agent reads a kernel log file of kmsg
// records, and the GPU registration carries both to the control plane.
const AGENT_KEY = 'gfk_agent_ingest_key_for_tests_0000000000000000'
const OPERATOR_KEY = 'gfk_operator_superadmin_key_for_tests_00000000'

async function until<T> (what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`${what}: not met in time`)
    await new Promise(r => setTimeout(r, 100))
  }
}

t.test('row remapper, clocks event reasons and Xids: simulator and kernel log → status, /metrics, registration', async t => {
  const dir = t.testdir()
  const statePath = join(dir, 'sim.json')
  const state = defaultSimState(4)
  state.gpus[2]!.overrides = { 'remapped_rows.pending': 'Yes', 'remapped_rows.uncorrectable': '1', 'clocks_event_reasons.active': '0x0000000000000004' }
  writeSimState(statePath, state)
  const kmsg = join(dir, 'kmsg')
  writeFileSync(kmsg, '6,1,100,-;Linux version 6.8.0\n')
  const sink = await startControlPlaneSink({ apiKey: AGENT_KEY, operatorKeys: { [OPERATOR_KEY]: ['superadmin'] } })
  t.teardown(() => sink.close())
  const agent = await startAgent(simAgentConfig(dir, {
    controlPlane: sink.url,
    apiKey: AGENT_KEY,
    cluster: 'test',
    intervalMs: 250,
    kernelLog: kmsg,
  }), { env: { ...process.env, NVIDIA_SMI_SIM_STATE: statePath }, log: pino({ level: 'silent' }) })
  t.teardown(() => agent.stop())
  const auth = { authorization: `Bearer ${OPERATOR_KEY}` }
  const gpu2 = async () => {
    const res = await fetch(`${agent.url}/v1/gpu/status`, { headers: auth })
    return res.status === 200 ? (await res.json() as { gpus: Array<Record<string, any>> }).gpus[2] : undefined
  }

  const first = await until('status', gpu2)
  t.same(first.remapped_rows, { correctable: 0, uncorrectable: 1, pending: true, failure: false })
  t.same(first.clocks_event_reasons, ['sw_power_cap'])
  t.equal(first.xid, null)

  const busId = state.gpus[2]!.pciBusId.slice(4, 14).toLowerCase()
  appendFileSync(kmsg, `3,2,5000000,-;NVRM: Xid (PCI:${busId}): 79, pid=0, GPU has fallen off the bus.\n`)
  const withXid = await until('the Xid on status', async () => { const g = await gpu2(); return g?.xid === null ? undefined : g })
  t.match(withXid?.xid, { count: 1, last: 79, last_detail: 'pid=0, GPU has fallen off the bus.' })
  const metrics = await (await fetch(`${agent.url}/metrics`)).text()
  t.match(metrics, /^DCGM_FI_DEV_ROW_REMAP_PENDING\{gpu="2",[^}]*\} 1$/m)
  t.match(metrics, /^DCGM_FI_DEV_XID_ERRORS\{gpu="2",[^}]*\} 79$/m)
  t.match(metrics, /^DCGM_FI_DEV_CLOCKS_EVENT_REASONS\{gpu="2",[^}]*\} 4$/m)
  const health = await (await fetch(`${agent.url}/healthz`)).json() as { kernel_log: unknown }
  t.match(health.kernel_log, { readable: true, path: kmsg, xid_events: 1 })

  const registered = await until('health registered', () => sink.gpus().find(g => g.gpu_index === 2 && g.health !== undefined)?.health)
  t.match(registered, { remapped_rows_pending: true, remapped_rows_uncorrectable: 1 })

  // The GPU is reset: the remap applied, pending clears on the next tick.
  updateSimState(statePath, s => { s.gpus[2]!.overrides = {} })
  const cleared = await until('pending cleared', async () => { const g = await gpu2(); return g?.remapped_rows.pending === false ? g : undefined })
  t.equal(cleared.remapped_rows.uncorrectable, 0)
})
