import t from 'tap'
import { createAlertsLoop } from '../../../control-plane/alerts/create-alerts-loop.ts'
import { unallocatedGpuUseBreaches, unallocatedGpuUseRule } from '../../../control-plane/alerts/rules/unallocated-gpu-use-rule.ts'
import { judgeProcesses } from '../../../control-plane/fleet/judge-processes.ts'
import type { StoredProcess } from '../../../control-plane/store/process-repository.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { GpuProcess } from '../../../shared/wire/job-execution.ts'
import { twoRunningJobs } from '../fleet/processes-suite.ts'
import { fakeClock } from '../fleet/fleet-harness.ts'
import { memoryLog } from '../router-harness.ts'

const NOW = Date.UTC(2026, 4, 10)
const MIN = 60_000

const row = (extra: Partial<StoredProcess>): StoredProcess => ({
  nodeId: 1, hostname: 'n1', clusterId: 1, gpuUuid: 'GPU-1', gpuId: 10, gpuIndex: 0, pid: 100, processName: 'miner', usedMemoryMib: 512,
  reportedJobId: null, reportedRun: null, jobId: null, tenantId: null, verdict: 'unallocated', seenAt: NOW - 10 * MIN,
  flaggedSince: NOW - 3 * MIN, reportedAt: NOW - 10_000, ...extra,
})

t.test('judge: per GPU, flagged for the threshold; a stale node is unknown; an unknown GPU is its node', async t => {
  const out = unallocatedGpuUseBreaches([
    row({}),
    row({ pid: 101, flaggedSince: NOW - MIN }), // too recent alone, but its GPU breaches anyway
    row({ gpuId: 11, gpuIndex: 1, pid: 200, flaggedSince: NOW - MIN }), // too recent
    row({ gpuId: 12, gpuIndex: 2, pid: 300, verdict: 'outside_allocation', jobId: 7, tenantId: 3 }),
    row({ gpuId: 13, gpuIndex: 3, pid: 400, reportedAt: NOW - 3 * MIN }), // the node went silent
    row({ gpuId: null, gpuIndex: null, gpuUuid: 'GPU-9', pid: 500, nodeId: 2, hostname: 'n2' }),
  ], 2, NOW)
  t.same(out.breaches.map(b => [b.subject.type, b.subject.id, b.tenantId]), [['gpu', 10, null], ['gpu', 12, 3], ['node', 2, null]])
  t.match(out.breaches[0]!.message, /GPU n1\/0 used outside any allocation for 2\+ min: pid 100 "miner"/)
  t.match(out.breaches[1]!.message, /pid 300 "miner" of job 7 outside its allocation/)
  t.same(out.unknown.map(s => [s.type, s.id]), [['gpu', 13]])
  t.same(unallocatedGpuUseBreaches([], 2, NOW), { breaches: [], unknown: [] })
  t.match(unallocatedGpuUseRule, { type: 'unallocated_gpu_use', defaults: { threshold: 2, enabled: true }, threshold: { unit: 'minutes', integer: true } })
})

t.test('through the alerts loop: fires once past the threshold, resolves when the process goes', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const clock = fakeClock(NOW)
  const { log } = memoryLog()
  const loop = createAlertsLoop({ store, now: clock.now, log, timers: clock.timers, webhook: false, rules: [unallocatedGpuUseRule] })
  const f = await twoRunningJobs(store, NOW)
  const report = (processes: GpuProcess[]) => store.processes.replaceNodeProcesses(f.node.id, clock.now(), h => judgeProcesses(processes, h))
  const miner: GpuProcess = { gpu_uuid: f.free[0]!, pid: 4242, process_name: 'xmrig', used_memory_mib: 900, job_id: null, run: null }
  const own: GpuProcess = { gpu_uuid: f.uuidA, pid: 17, process_name: 'python3', used_memory_mib: 100, job_id: null, run: null }

  await report([own, miner])
  t.same(await loop.evaluate(), { fired: [], resolved: [] }, 'just seen')
  clock.set(NOW + MIN)
  await report([own, miner])
  t.same((await loop.evaluate()).fired, [], '1 min of 2')
  clock.set(NOW + 2 * MIN)
  await report([own, miner])
  const fired = (await loop.evaluate()).fired
  t.match(fired, [{ ruleType: 'unallocated_gpu_use', subject: { type: 'gpu', name: String }, tenantId: null }])
  t.match(fired[0]!.message, /pid 4242 "xmrig"/)
  clock.set(NOW + 3 * MIN)
  await report([own, miner])
  t.same((await loop.evaluate()).fired, [], 'fires once')
  clock.set(NOW + 3 * MIN + 30_000)
  await report([own])
  const resolved = (await loop.evaluate()).resolved
  t.equal(resolved.length, 1, 'the process is gone: resolved')
  t.equal(resolved[0]!.id, fired[0]!.id)
  t.same((await loop.evaluate()), { fired: [], resolved: [] })
})
