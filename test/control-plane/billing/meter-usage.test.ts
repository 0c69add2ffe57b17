import t from 'tap'
import { meterUsage } from '../../../control-plane/billing/meter-usage.ts'
import { summarizeUsage } from '../../../control-plane/billing/summarize-usage.ts'
import { usageEvents } from '../../../control-plane/billing/usage-events.ts'
import { usageWindow } from '../../../control-plane/billing/billing-windows.ts'
import type { MeteredInterval } from '../../../control-plane/store/billing-repository.ts'

const ms = Date.parse
const RATES = [{ gpuType: 'H100', centsPerGpuHour: 476 }, { gpuType: 'A100', centsPerGpuHour: 221 }]
const iv = (o: Partial<MeteredInterval> & Pick<MeteredInterval, 'start' | 'end'>): MeteredInterval =>
  ({ tenantId: 1, jobId: 1, jobName: 'j', gpuId: 1, gpuModel: 'NVIDIA H100 80GB HBM3', running: false, ...o })

t.test('one line per tenant and rate, priced once; a midnight-spanning interval splits to the millisecond', async t => {
  const intervals = [
    iv({ start: ms('2026-05-08T22:13:07.777Z'), end: ms('2026-05-09T03:01:59.001Z') }),
    iv({ jobId: 2, gpuId: 2, start: ms('2026-05-09T10:00:00Z'), end: ms('2026-05-09T10:00:10.5Z') }),
    iv({ tenantId: 2, jobId: 3, gpuId: 3, gpuModel: 'NVIDIA A100-SXM4-80GB', start: ms('2026-05-09T00:00:00Z'), end: ms('2026-05-09T01:00:00Z') }),
  ]
  const lines = meterUsage(intervals, RATES)
  t.equal(lines.length, 2)
  const [h100, a100] = lines
  const beforeMidnight = ms('2026-05-09T00:00:00Z') - ms('2026-05-08T22:13:07.777Z')
  const afterMidnight = ms('2026-05-09T03:01:59.001Z') - ms('2026-05-09T00:00:00Z')
  t.match(h100, { tenantId: 1, gpuType: 'H100', centsPerGpuHour: 476, gpuMs: beforeMidnight + afterMidnight + 10_500 })
  t.same([...h100!.days.entries()].map(([d, p]) => [new Date(d).toISOString().slice(0, 10), p.gpuMs]),
    [['2026-05-08', beforeMidnight], ['2026-05-09', afterMidnight + 10_500]])
  // 17 341 724 ms × 476 / 3 600 000 = 2292.957… → 2293
  t.equal(h100!.amountCents, 2293)
  t.equal([...h100!.days.values()].reduce((s, p) => s + (p.amountCents ?? 0), 0), 2293, 'days sum to the line')
  t.equal([...h100!.jobs.values()].reduce((s, p) => s + (p.amountCents ?? 0), 0), 2293, 'jobs sum to the line')
  t.match(a100, { tenantId: 2, gpuType: 'A100', gpuMs: 3_600_000, amountCents: 221 })
})

t.test('unmatched models are reported unpriced (amount null), never priced at 0', async t => {
  const lines = meterUsage([
    iv({ gpuModel: 'NVIDIA L40S', start: 0, end: 7_200_000 }),
    iv({ gpuModel: null, gpuId: 2, start: 0, end: 1000 }),
    iv({ gpuId: 3, start: 0, end: 3_600_000 }),
  ], RATES)
  t.same(lines.map(l => [l.gpuType, l.centsPerGpuHour, l.gpuMs, l.amountCents]), [
    ['H100', 476, 3_600_000, 476],
    ['NVIDIA L40S', null, 7_200_000, null],
    [null, null, 1000, null],
  ])
  const window = { start: 0, end: 86_400_000, days: 1 }
  const sum = summarizeUsage(lines, window)
  t.match(sum, { gpuMs: 10_801_000, amountCents: 476, unpricedGpuMs: 7_201_000 })
  t.same(sum.byDay.map(d => [d.gpuMs, d.amountCents]), [[10_801_000, 476]], 'unpriced time counts as time, not money')
})

t.test('summary: every view sums to the total; empty days are listed', async t => {
  const window = usageWindow(ms('2026-05-10T15:20:00Z'), 3)
  const intervals = [
    iv({ start: ms('2026-05-08T23:59:59.999Z'), end: ms('2026-05-09T00:00:00.001Z') }),
    iv({ tenantId: 2, jobId: 2, gpuId: 2, start: ms('2026-05-10T01:00:00Z'), end: ms('2026-05-10T15:20:00Z'), running: true }),
    iv({ tenantId: null, jobId: 3, gpuId: 3, gpuModel: 'NVIDIA A100 80GB PCIe', start: ms('2026-05-10T00:00:00Z'), end: ms('2026-05-10T00:00:01Z') }),
  ]
  const lines = meterUsage(intervals, RATES)
  const sum = summarizeUsage(lines, window)
  t.same(sum.byDay.map(d => new Date(d.day).toISOString().slice(0, 10)), ['2026-05-08', '2026-05-09', '2026-05-10'])
  const total = sum.amountCents
  t.equal(sum.byDay.reduce((s, d) => s + d.amountCents, 0), total)
  t.equal(sum.byGpuType.reduce((s, x) => s + (x.amountCents ?? 0), 0), total)
  t.equal(sum.byTenant.reduce((s, x) => s + x.amountCents, 0), total)
  t.same(sum.byTenant.map(x => x.tenantId), [1, 2, null], 'tenant-less usage last')

  const events = usageEvents(intervals, lines, RATES)
  t.same(events.map(e => [e.jobId, e.gpuType, e.gpuCount, e.running, e.gpuMs]), [
    [1, 'H100', 1, false, 2],
    [3, 'A100', 1, false, 1000],
    [2, 'H100', 1, true, 51_600_000],
  ], 'oldest first')
})

t.test('events: one per job and GPU type, distinct GPUs counted, clipped start/end', async t => {
  const intervals = [
    iv({ jobId: 9, gpuId: 1, start: 1000, end: 5000 }),
    iv({ jobId: 9, gpuId: 2, start: 2000, end: 9000, running: true }),
    iv({ jobId: 9, gpuId: 1, start: 6000, end: 7000 }),
  ]
  const lines = meterUsage(intervals, RATES)
  const [e] = usageEvents(intervals, lines, RATES)
  t.match(e, { jobId: 9, gpuCount: 2, start: 1000, end: 9000, running: true, gpuMs: 12_000, amountCents: lines[0]!.amountCents })
})

t.test('issue 14: each UTC day of a line is priced alone, so a day costs the same in any window or invoice', async t => {
  // 3 025 ms of H100 is 0.39998 ¢: each day rounds to 0, though the two together are 0.8 ¢.
  const lines = meterUsage([
    iv({ start: ms('2026-05-09T10:00:00Z'), end: ms('2026-05-09T10:00:03.025Z') }),
    iv({ start: ms('2026-05-10T10:00:00Z'), end: ms('2026-05-10T10:00:03.025Z') }),
  ], RATES)
  t.same([...lines[0]!.days.values()].map(p => [p.gpuMs, p.amountCents]), [[3025, 0], [3025, 0]])
  t.match(lines[0], { gpuMs: 6050, amountCents: 0 }, 'the line is the sum of its days')
  const oneDay = meterUsage([iv({ start: ms('2026-05-09T10:00:00Z'), end: ms('2026-05-09T10:00:03.025Z') })], RATES)
  t.equal(oneDay[0]!.amountCents, lines[0]!.days.get(ms('2026-05-09T00:00:00Z'))!.amountCents)
})
