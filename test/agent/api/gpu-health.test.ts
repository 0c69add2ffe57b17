import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { createXidWatch } from '../../../agent/collector/create-xid-watch.ts'
import { createMemoryLog } from '../collector/memory-log.ts'
import { KEYS, SEED_TIME, agentHarness, promSamples, seedGpu, seedSnapshot } from './fixtures.ts'

const samples = promSamples

const BOOT = SEED_TIME - 3_600_000

/** GPU 0 healthy; GPU 1 throttled by the SW power cap and HW slowdown, with a pending remap and Xids. */
function harnessWithXids (t: Test, logPath?: string) {
  const path = logPath ?? join(t.testdir(), 'kmsg')
  if (logPath === undefined) {
    writeFileSync(path, [
      '3,100,1000000,-;NVRM: Xid (PCI:0000:2a:00): 63, pid=\'<unknown>\', name=<unknown>, Row remapper: new row marked for remapping, reset gpu to activate.',
      '3,101,2000000,-;NVRM: Xid (PCI:0000:2a:00): 94, pid=4242, name=python3, Contained: SM (0x1). RST: No, D-RST: No',
      '',
    ].join('\n'))
  }
  const xids = createXidWatch({ path, intervalMs: 5000, timers: { setTimeout: () => 0, clearTimeout: () => {} }, now: () => SEED_TIME, bootTimeMs: BOOT, log: createMemoryLog() })
  xids.start()
  const gpus = [
    seedGpu(),
    seedGpu({ index: 1, uuid: 'GPU-1111', pciBusId: '00000000:2A:00.0', pstate: 'P2', clocksEventReasons: 0x0c, remappedRowsCorrectable: 2, remappedRowsUncorrectable: 1, remappedRowsPending: true, eccCorrectedVolatile: 17, eccUncorrectedVolatile: 1 }),
  ]
  return agentHarness({ snapshot: seedSnapshot(SEED_TIME, gpus), deps: { xids } })
}

t.test('/metrics: DCGM health series with their names, types and values; Xids per GPU and code', async t => {
  const { app } = await harnessWithXids(t)
  const text = await (await app.request('/metrics')).text()
  const value = (name: string, gpu: string) => samples(text, name).find(s => s.labels.gpu === gpu)?.value
  for (const [name, type] of [
    ['DCGM_FI_DEV_POWER_MGMT_LIMIT', 'gauge'], ['DCGM_FI_DEV_PSTATE', 'gauge'], ['DCGM_FI_DEV_CLOCKS_EVENT_REASONS', 'gauge'],
    ['DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', 'counter'], ['DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', 'counter'],
    ['DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', 'counter'], ['DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', 'counter'],
    ['DCGM_FI_DEV_ROW_REMAP_FAILURE', 'gauge'], ['DCGM_FI_DEV_ROW_REMAP_PENDING', 'gauge'], ['DCGM_FI_DEV_XID_ERRORS', 'gauge'],
  ]) t.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `${name} is a ${type}`)
  t.equal(value('DCGM_FI_DEV_POWER_MGMT_LIMIT', '0'), 400)
  t.equal(value('DCGM_FI_DEV_PSTATE', '1'), 2)
  t.equal(value('DCGM_FI_DEV_CLOCKS_EVENT_REASONS', '1'), 12)
  t.equal(value('DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', '1'), 17)
  t.equal(value('DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', '1'), 1)
  t.equal(value('DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', '1'), 2)
  t.equal(value('DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', '1'), 1)
  t.equal(value('DCGM_FI_DEV_ROW_REMAP_PENDING', '1'), 1)
  t.equal(value('DCGM_FI_DEV_ROW_REMAP_PENDING', '0'), 0)
  t.equal(value('DCGM_FI_DEV_ROW_REMAP_FAILURE', '1'), 0)
  t.equal(value('DCGM_FI_DEV_XID_ERRORS', '1'), 94, 'the last Xid of GPU 1')
  t.equal(value('DCGM_FI_DEV_XID_ERRORS', '0'), undefined, 'no series for a GPU without Xids (0 would read as Xid 0)')
  t.same(samples(text, 'gpufleet_agent_xid_errors_total').map(s => [s.labels.gpu, s.labels.xid, s.value]), [['1', '63', 1], ['1', '94', 1]])
  t.equal(samples(text, 'gpufleet_agent_kernel_log_readable')[0]?.value, 1)
})

t.test('/v1/gpu/status and /healthz show the health readings and whether the kernel log is read', async t => {
  const { app } = await harnessWithXids(t)
  const res = await app.request('/v1/gpu/status', { headers: { Authorization: `Bearer ${KEYS.operator}` } })
  t.equal(res.status, 200)
  const body = await res.json() as { gpus: Array<Record<string, unknown>> }
  t.same(body.gpus[1]?.clocks_event_reasons, ['sw_power_cap', 'hw_slowdown'])
  t.same(body.gpus[1]?.remapped_rows, { correctable: 2, uncorrectable: 1, pending: true, failure: false })
  t.same(body.gpus[1]?.xid, { count: 2, last: 94, last_at: new Date(BOOT + 2000).toISOString(), last_detail: 'pid=4242, name=python3, Contained: SM (0x1). RST: No, D-RST: No' })
  t.equal(body.gpus[0]?.xid, null)
  t.same(body.gpus[0]?.clocks_event_reasons, ['gpu_idle'])
  const health = await (await app.request('/healthz')).json() as { kernel_log: unknown }
  t.match(health.kernel_log, { readable: true, error: null, xid_events: 2 })

  const missing = join(t.testdir(), 'no-such-log')
  const h2 = await harnessWithXids(t, missing)
  const unreadable = await (await h2.app.request('/healthz')).json() as { kernel_log: unknown, status: string }
  t.same(unreadable.kernel_log, { readable: false, path: missing, error: `ENOENT: cannot read ${missing}`, xid_events: 0 })
  t.equal(unreadable.status, 'ok', 'an unreadable kernel log is said, not a degradation')
  t.match(await (await h2.app.request('/metrics')).text(), /^gpufleet_agent_kernel_log_readable 0$/m)
})
