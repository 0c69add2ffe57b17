import t from 'tap'
import { Charges, costCents, exactCost, wholeCents } from '../../../control-plane/billing/money.ts'
import { apportionCents } from '../../../control-plane/billing/apportion-cents.ts'

t.test('costCents: round half-up of gpu_ms × cents/h ÷ 3 600 000', async t => {
  t.equal(costCents(3_600_000, 476), 476, 'one GPU-hour of H100')
  t.equal(costCents(0, 476), 0)
  // 18 s at 100 ¢/h is exactly half a cent: half-up.
  t.equal(costCents(18_000, 100), 1, '0.5 ¢ → 1')
  t.equal(costCents(17_999, 100), 0, '0.49997 ¢ → 0')
  t.equal(costCents(54_000, 100), 2, '1.5 ¢ → 2 (half-up, not banker\'s)')
  t.equal(costCents(90_000, 100), 3, '2.5 ¢ → 3 (half-up, not banker\'s)')
  // 1 h 0.999 s of H100: 3 600 999 × 476 / 3 600 000 = 476.13209… → 476
  t.equal(costCents(3_600_999, 476), 476)
  // 37 063 123 ms of H100 = 4900.5062… ¢ → 4901
  t.equal(costCents(37_063_123, 476), 4901)
  // Past 2^53: 90 days × 8 000 GPUs at 599 ¢ is still exact.
  const ms = 90 * 86_400_000 * 8000
  t.equal(costCents(ms, 599), 90 * 24 * 8000 * 599, 'no float overflow')
  t.throws(() => costCents(1.5, 100), RangeError)
  t.throws(() => costCents(-1, 100), RangeError)
  t.throws(() => costCents(1, -1), RangeError)
})

t.test('apportionCents: largest remainder, sums exactly, each part within a cent of its share', async t => {
  t.same(apportionCents(10, [1, 1, 1]), [4, 3, 3], 'the left-over cent goes to the earliest of equal remainders')
  t.same(apportionCents(0, [5, 7]), [0, 0])
  t.same(apportionCents(7, [0, 0]), [0, 0], 'no weight, nothing to share')
  t.same(apportionCents(100, [3, 0, 1]), [75, 0, 25])
  t.same(apportionCents(5, [2, 2, 6]), [1, 1, 3])
  // Property check over a deterministic sequence of awkward inputs.
  let seed = 7
  const next = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed }
  for (let i = 0; i < 200; i++) {
    const weights = Array.from({ length: 1 + (next() % 9) }, () => next() % 100_000_000)
    const total = next() % 1_000_000
    const parts = apportionCents(total, weights)
    const sum = weights.reduce((a, b) => a + b, 0)
    t.equal(parts.reduce((a, b) => a + b, 0), sum === 0 ? 0 : total, `case ${i}: parts sum to the total`)
    if (sum > 0) t.ok(parts.every((p, k) => Math.abs(p - total * (weights[k] ?? 0) / sum) < 1 + 1e-9), `case ${i}: each part within a cent`)
  }
  t.throws(() => apportionCents(-1, [1]), RangeError)
  t.throws(() => apportionCents(1, [0.5]), RangeError)
})

t.test('exactCost and wholeCents: exact in 1/3 600 000 cent, rounded once', async t => {
  t.equal(exactCost(3_600_000, 476), 476n * 3_600_000n)
  t.equal(wholeCents(exactCost(18_000, 100)), 1, 'half a cent rounds up')
  // Past 2^53 the product is still exact.
  t.equal(exactCost(2 ** 53 - 1, 3), (2n ** 53n - 1n) * 3n)
  t.equal(wholeCents(exactCost(Number.MAX_SAFE_INTEGER, 599)), 1_498_697_875_997, 'the largest safe GPU-ms at 599 ¢/h, to the cent')
  t.throws(() => exactCost(1, 0.5), RangeError)
})

t.test('Charges: one line per rate, each rounded once, summed', async t => {
  const h100 = { gpuType: 'H100', centsPerGpuHour: 476 }
  const a10 = { gpuType: 'A10', centsPerGpuHour: 100 }
  const c = new Charges()
  t.ok(c.empty)
  t.equal(c.cents(), 0)
  c.add(9_000, a10) // 0.25 ¢
  c.add(9_000, a10) // 0.25 ¢: the A10 line is 0.5 ¢ → 1
  t.notOk(c.empty)
  t.equal(c.cents(), 1, 'parts of a line add exactly before the one rounding')
  c.add(3_600_000, h100)
  t.equal(c.cents(), 477)
  const zero = new Charges()
  zero.add(0, h100)
  t.notOk(zero.empty, 'priced GPU time of zero length is a line of 0 ¢, not "unpriced"')
  t.equal(zero.cents(), 0)
  // 3.6 s + 147.6 s + 10.8 s at 100 ¢/h is exactly 4.5 ¢; Σ of the floats 0.1 + 4.1 + 0.3 is 4.4999….
  const three = new Charges()
  for (const ms of [3_600, 147_600, 10_800]) three.add(ms, a10)
  t.equal(three.cents(), 5, 'exact 4.5 ¢ → 5 where a float sum gave 4')
  // 90 days × 8 000 GPUs at 599 ¢/h in parts, plus half a cent: past 2^53 and still exact.
  const big = new Charges()
  const b200 = { gpuType: 'B200', centsPerGpuHour: 599 }
  for (let i = 0; i < 8; i++) big.add(90 * 86_400_000 * 1000, b200)
  t.equal(big.cents(), 90 * 24 * 8000 * 599)
})
