import t from 'tap'
import { createFailureLimiter } from '../../../control-plane/auth/create-failure-limiter.ts'

t.test('a burst of `capacity` failures, then one back per window/capacity', async t => {
  let clock = 0
  const l = createFailureLimiter({ capacity: 4, windowMs: 60_000, now: () => clock })
  for (let i = 0; i < 4; i++) {
    t.equal(l.retryAfterMs('a'), 0)
    l.fail('a')
  }
  t.equal(l.retryAfterMs('a'), 15_000)
  t.equal(l.retryAfterMs('b'), 0, 'per key')
  clock += 14_999
  t.equal(l.retryAfterMs('a'), 1)
  clock += 1
  t.equal(l.retryAfterMs('a'), 0)
  clock += 10 * 60_000
  for (let i = 0; i < 4; i++) l.fail('a')
  t.ok(l.retryAfterMs('a') > 0, 'refill is capped at capacity')
})

t.test('memory is bounded: refilled buckets go first, then the stalest', async t => {
  let clock = 0
  const l = createFailureLimiter({ capacity: 2, windowMs: 1000, maxEntries: 3, now: () => clock })
  l.fail('old')
  clock += 5000
  l.fail('x'); l.fail('y'); l.fail('z')
  t.equal(l.size(), 3, 'the refilled one was dropped')
  l.fail('w')
  t.equal(l.size(), 3)
  l.fail('w')
  t.ok(l.retryAfterMs('w') > 0, 'the newest is kept')
})

t.test('options are checked when built', async t => {
  t.throws(() => createFailureLimiter({ capacity: 0 }), /capacity must be a positive integer/)
  t.throws(() => createFailureLimiter({ capacity: 1.5 }), /capacity/)
  t.throws(() => createFailureLimiter({ capacity: 1, windowMs: 0 }), /windowMs/)
  t.throws(() => createFailureLimiter({ capacity: 1, maxEntries: 0 }), /maxEntries/)
})
