import t from 'tap'
import type { VmClient } from '../../../../control-plane/store/vm/create-vm-client.ts'
import { createVmGpuHistoryRepository } from '../../../../control-plane/store/vm/vm-gpu-history-repository.ts'

// VictoriaMetrics refuses queries longer than -search.maxQueryLen (16 KiB) and range answers
// with more than -search.maxPointsPerTimeseries (30,000) points per series.
const MAX_QUERY_LEN = 16 * 1024
const MAX_POINTS = 30_000
const MIN = 60_000
const NOW = Date.UTC(2026, 3, 26, 4, 7, 42)

/** A client that answers nothing and records what it was asked. */
function recordingClient () {
  const asked: Array<{ expr: string, at?: number, start?: number, end?: number, step?: number }> = []
  const client: VmClient = {
    importLines: async () => {},
    query: async (expr, at) => { asked.push({ expr, at }); return [] },
    queryRange: async (expr, start, end, step) => { asked.push({ expr, start, end, step }); return [] },
    series: async () => [],
    flags: async () => '',
  }
  return { client, asked }
}

t.test('stepBuckets: whole steps in range queries at each step\'s last millisecond, the partial one as an instant query; short queries', async t => {
  for (const [stepMs, rangeMs] of [[MIN, 60 * MIN], [5 * MIN, 1440 * MIN], [180 * MIN, 30 * 1440 * MIN], [MIN, 30 * 1440 * MIN]] as const) {
    const { client, asked } = recordingClient()
    const repo = createVmGpuHistoryRepository({ client, now: () => NOW })
    const fromMs = Math.floor((NOW - rangeMs) / stepMs) * stepMs
    t.same(await repo.stepBuckets!({ nodeId: 123456, gpuId: 7, fromMs, toMs: NOW + 1, stepMs }), [])
    const ranges = asked.filter(a => a.step !== undefined)
    const instants = asked.filter(a => a.step === undefined)
    const last = Math.floor((NOW + 1) / stepMs) * stepMs
    t.same(instants.map(a => a.at), [NOW], `step ${stepMs / MIN} min: the current step through one instant query at NOW`)
    t.same(ranges.map(a => a.step), ranges.map(() => stepMs))
    t.equal(ranges[0]!.start, fromMs + stepMs - 1, 'the first whole step at its last millisecond')
    t.equal(ranges.at(-1)!.end, last - 1, 'up to the current step')
    t.same(ranges.filter(a => (a.end! - a.start!) / stepMs + 1 > MAX_POINTS).length, 0, 'each under the points limit')
    t.same(asked.filter(a => a.expr.length > MAX_QUERY_LEN).length, 0, 'none too long')
    t.ok(asked.every(a => a.expr.includes('node_id="123456", gpu="7"')), 'the node and GPU named')
  }
})

t.test('stepBuckets: a bad step is a TypeError, an empty range asks nothing', async t => {
  const { client, asked } = recordingClient()
  const repo = createVmGpuHistoryRepository({ client })
  for (const stepMs of [0, -1, 1.5, Number.NaN]) {
    await t.rejects(repo.stepBuckets!({ nodeId: 1, fromMs: 0, toMs: MIN, stepMs }), TypeError, String(stepMs))
  }
  t.same(await repo.stepBuckets!({ nodeId: 1, fromMs: MIN, toMs: MIN, stepMs: MIN }), [])
  t.same(await repo.buckets({ nodeId: 1, fromMs: 2 * MIN, toMs: MIN, span: 5 }), [])
  t.equal(asked.length, 0)
})
