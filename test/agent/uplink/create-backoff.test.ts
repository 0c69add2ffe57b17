import t from 'tap'
import { createBackoff } from '../../../agent/uplink/create-backoff.ts'

t.test('doubles from initialMs up to maxMs, reset starts over', async t => {
  const b = createBackoff({ initialMs: 1000, maxMs: 30_000, jitter: 0 })
  t.same(Array.from({ length: 7 }, () => b.next()), [1000, 2000, 4000, 8000, 16000, 30000, 30000])
  b.reset()
  t.equal(b.next(), 1000)
})

t.test('jitter spreads each delay within ± the fraction', async t => {
  t.equal(createBackoff({ jitter: 0.2, random: () => 0 }).next(), 800)
  t.equal(createBackoff({ jitter: 0.2, random: () => 0.9999999 }).next(), 1200)
})

t.test('options are checked when built', async t => {
  t.throws(() => createBackoff({ initialMs: 0 }), /initialMs/)
  t.throws(() => createBackoff({ initialMs: 10, maxMs: 5 }), /maxMs/)
  t.throws(() => createBackoff({ jitter: 1 }), /jitter/)
})
