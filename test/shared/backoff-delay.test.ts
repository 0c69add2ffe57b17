import t from 'tap'
import { backoffDelay } from '../../shared/backoff-delay.ts'

t.test('backoff: 1 s doubling to a 30 s cap', async t => {
  const o = { initialMs: 1000, maxMs: 30_000 }
  t.same([1, 2, 3, 4, 5, 6, 7, 50].map(n => backoffDelay(n, o)), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000])
})

t.test('backoffDelay: 1 s, 2 s, 4 s, … capped (alert webhooks: 1 s to 60 s)', async t => {
  t.same([1, 2, 3, 4, 5, 10, 40].map(n => backoffDelay(n, { initialMs: 1000, maxMs: 60_000 })), [1000, 2000, 4000, 8000, 16_000, 60_000, 60_000])
})
