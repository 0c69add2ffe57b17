import t from 'tap'
import { usageCost } from '../../../control-plane/dashboards/usage-cost.ts'

const rates = [{ gpuType: 'H100', centsPerGpuHour: 476 }, { gpuType: 'L4', centsPerGpuHour: 250 }]

t.test('usageCost: whole cents, one rounding per rate like an invoice line; unpriced time apart', async t => {
  t.same(usageCost([], rates), { gpuSeconds: 0, cents: 0, unpricedGpuSeconds: 0 })
  t.same(usageCost([{ gpuModel: 'NVIDIA H100 80GB HBM3', gpuSeconds: 7200 }, { gpuModel: 'Tesla T4', gpuSeconds: 60 }], rates),
    { gpuSeconds: 7260, cents: 952, unpricedGpuSeconds: 60 })
  // Two models on one rate are one line: 4.32 s + 4.32 s of L4 = 0.6 ¢ → 1 (rounded per model, 0 + 0).
  t.equal(usageCost([{ gpuModel: 'NVIDIA L4', gpuSeconds: 4.32 }, { gpuModel: 'L4 24GB', gpuSeconds: 4.32 }], rates).cents, 1)
})

t.test('usageCost: exact where the float formula drifted, and past 2^53', async t => {
  // 1 029.6 GPU-s at 250 ¢/h is exactly 71.5 ¢ → 72; 1029.6 × 250 / 3600 in floats is 71.4999… → 71.
  t.equal(usageCost([{ gpuModel: 'NVIDIA L4', gpuSeconds: 1029.6 }], rates).cents, 72)
  // 90 days × 8 000 H100s: 3e16 in 1/3 600 000 ¢, past 2^53, to the cent.
  const seconds = 90 * 86_400 * 8000
  t.equal(usageCost([{ gpuModel: 'H100', gpuSeconds: seconds }], rates).cents, 90 * 24 * 8000 * 476)
})
