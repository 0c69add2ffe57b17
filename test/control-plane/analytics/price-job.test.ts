import t from 'tap'
import { priceJob } from '../../../control-plane/analytics/price-job.ts'
import type { JobRecord } from '../../../control-plane/store/analytics-repository.ts'

const H = 3_600_000
const rates = [{ gpuType: 'H100', centsPerGpuHour: 476 }, { gpuType: 'B200', centsPerGpuHour: 599 }]
const job = (over: Partial<JobRecord>): JobRecord => ({
  id: 1, name: 'j', kind: 'training', tenantId: null, tenantName: null, status: 'completed', gpuType: 'H100', gpuCount: 2,
  clusterId: 1, nodeId: null, hostname: null, submittedAt: 0, startedAt: 0, endedAt: 2 * H, gpus: [], ...over,
})

t.test('ended job: cost = cost_per_hr × duration, metered per GPU', async t => {
  const gpus = [
    { gpuId: 1, gpuModel: 'NVIDIA H100 80GB HBM3', hostname: 'n1', assignedAt: 0, releasedAt: 2 * H },
    { gpuId: 2, gpuModel: 'NVIDIA B200', hostname: 'n1', assignedAt: 0, releasedAt: 2 * H },
  ]
  const p = priceJob(job({ gpus }), rates, 10 * H)
  t.same(p, { durationMs: 2 * H, gpuMs: 4 * H, centsPerHour: 476 + 599, cents: 2 * (476 + 599), final: true })
})

t.test('running job: priced up to now, not final', async t => {
  const gpus = [{ gpuId: 1, gpuModel: 'H100', hostname: null, assignedAt: 0, releasedAt: null }]
  const p = priceJob(job({ status: 'running', endedAt: null, gpuCount: 1, gpus }), rates, 1.5 * H)
  t.same(p, { durationMs: 1.5 * H, gpuMs: 1.5 * H, centsPerHour: 476, cents: 714, final: false })
})

t.test('a GPU held for part of the run pays for the part; unpriced models add time, not money', async t => {
  const gpus = [
    { gpuId: 1, gpuModel: 'H100', hostname: null, assignedAt: 0, releasedAt: H },
    { gpuId: 2, gpuModel: 'Tesla T4', hostname: null, assignedAt: 0, releasedAt: 2 * H },
  ]
  const p = priceJob(job({ gpus }), rates, 10 * H)
  t.same(p, { durationMs: 2 * H, gpuMs: 3 * H, centsPerHour: 476, cents: 476, final: true })
  const none = priceJob(job({ gpus: [gpus[1]!] }), rates, 10 * H)
  t.equal(none.cents, null, 'nothing priced → null, not 0')
  t.equal(none.centsPerHour, null)
})

t.test('no job_gpus rows: gpu_type × gpu_count over the run; queued jobs cost nothing yet', async t => {
  t.same(priceJob(job({}), rates, 10 * H), { durationMs: 2 * H, gpuMs: 4 * H, centsPerHour: 952, cents: 1904, final: true })
  t.same(priceJob(job({ status: 'queued', startedAt: null, endedAt: null }), rates, 10 * H),
    { durationMs: null, gpuMs: 0, centsPerHour: 952, cents: 0, final: false })
  t.same(priceJob(job({ gpuType: null }), rates, 10 * H).cents, null)
})

t.test('cents are exact, rounded once per rate: no float drift, no overflow', async t => {
  const card = [...rates, { gpuType: 'A10', centsPerGpuHour: 100 }]
  // 3.6 s + 147.6 s + 10.8 s at 100 ¢/h is exactly 4.5 ¢ → 5; summed as floats it was 4.4999… → 4.
  const gpus = [3_600, 147_600, 10_800].map((ms, i) => ({ gpuId: i + 1, gpuModel: 'NVIDIA A10', hostname: null, assignedAt: 0, releasedAt: ms }))
  t.equal(priceJob(job({ gpus, endedAt: 147_600 }), card, 10 * H).cents, 5)
  // 90 days × 8 000 B200s (no job_gpus rows): 3.7e16 in 1/3 600 000 ¢, past 2^53, to the cent.
  const big = priceJob(job({ gpuType: 'B200', gpuCount: 8000, endedAt: 90 * 24 * H }), card, 100 * 24 * H)
  t.same(big, { durationMs: 90 * 24 * H, gpuMs: 90 * 24 * 8000 * H, centsPerHour: 599 * 8000, cents: 90 * 24 * 8000 * 599, final: true })
})
