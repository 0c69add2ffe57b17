import t from 'tap'
import { createRetention } from '../../../control-plane/telemetry/create-retention.ts'
import type { PruneRequest, PruneResult } from '../../../control-plane/store/telemetry-repository.ts'

const MIN = 60_000
const DAY = 86_400_000
const T0 = Date.UTC(2026, 3, 26, 4, 0, 30)

function fakeStore (results: PruneResult[]) {
  const requests: PruneRequest[] = []
  return {
    requests,
    async prune (r: PruneRequest) {
      requests.push(r)
      const next = results.shift()
      if (next === undefined) throw new Error('store down')
      return next
    },
  }
}

t.test('one step per minute once caught up; a step per write while a backlog remains', async t => {
  const clock = { now: T0 }
  const store = fakeStore([{ deleted: 5, more: true }, { deleted: 5, more: true }, { deleted: 1, more: false }, { deleted: 0, more: false }])
  const r = createRetention({ store, now: () => clock.now, chunkRows: 5 })
  t.match(await r.afterWrite(), { deleted: 5, more: true })
  t.same(store.requests[0], {
    rawBefore: Date.UTC(2026, 3, 19, 3, 59), // 7 days back, floored to the minute, one minute of margin
    rollupBefore: Date.UTC(2026, 0, 26, 4, 0),
    limit: 5,
  })
  clock.now += 1
  t.match(await r.afterWrite(), { more: true })
  clock.now += 1
  t.match(await r.afterWrite(), { more: false })
  clock.now += MIN - 1
  t.equal(await r.afterWrite(), null, 'throttled')
  clock.now += 1
  t.match(await r.afterWrite(), { deleted: 0 })
  t.equal(store.requests.length, 4)
})

t.test('a failing step is logged and retried a minute later, not on every write', async t => {
  const clock = { now: T0 }
  const warnings: string[] = []
  const r = createRetention({ store: fakeStore([]), now: () => clock.now, log: { warn: (_o, m) => warnings.push(m) } })
  t.equal(await r.afterWrite(), null)
  t.equal(await r.afterWrite(), null)
  t.same(warnings, ['telemetry retention step failed'])
  t.equal(r.oldestAccepted(T0), T0 - 7 * DAY)
})

t.test('options are checked', async t => {
  const store = fakeStore([])
  t.throws(() => createRetention({ store, now: Date.now, rollupRetentionMs: DAY }), /rollupRetentionMs/)
  t.throws(() => createRetention({ store, now: Date.now, chunkRows: 0 }), /chunkRows/)
  t.throws(() => createRetention({ store, now: Date.now, rawRetentionMs: 0 }), /rawRetentionMs/)
})

t.test('each step also compacts raw rows older than compactAfterMs; a compaction backlog keeps the steps coming', async t => {
  const clock = { now: T0 }
  const compactions: Array<{ before: number, limit: number }> = []
  const left = [true, false]
  const store = {
    async prune () { return { deleted: 0, more: false } },
    async compact (r: { before: number, limit: number }) {
      compactions.push(r)
      return { moved: 10, more: left.shift() ?? false }
    },
  }
  const r = createRetention({ store, now: () => clock.now, chunkRows: 7, compactAfterMs: 70 * MIN })
  t.match(await r.afterWrite(), { more: true })
  t.same(compactions[0], { before: T0 - 70 * MIN, limit: 7, afterMs: 70 * MIN }, 'and per node: older than its newest row minus compactAfterMs')
  clock.now += 1
  t.match(await r.afterWrite(), { more: false }, 'the backlog step ran at once')
  clock.now += 1
  t.equal(await r.afterWrite(), null, 'then throttled')
  t.throws(() => createRetention({ store, now: () => 0, compactAfterMs: -1 }), /compactAfterMs/)
})
