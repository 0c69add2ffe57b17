import t from 'tap'
import { createAssignmentWatch } from '../../../control-plane/scheduling/create-assignment-watch.ts'
import { manualTimers } from '../../helpers/manual-timers.ts'

const settled = async (p: Promise<void>): Promise<boolean> => {
  let done = false
  void p.then(() => { done = true })
  for (let i = 0; i < 5; i++) await Promise.resolve()
  return done
}

t.test('a wait ends on a notify for its node, at its timeout, or when a signal aborts; nothing is left behind', async t => {
  const clock = manualTimers(0)
  const watch = createAssignmentWatch({ timers: clock.timers })

  const a = watch.next(1, 1000)
  const b = watch.next(2, 1000)
  t.equal(watch.waiting(), 2)
  t.same(clock.delays(), [1000, 1000])
  watch.notify([3, null])
  t.notOk(await settled(a), 'another node\'s notify does not wake it')
  watch.notify([1, 1])
  t.ok(await settled(a), 'its node\'s notify wakes it')
  t.notOk(await settled(b))
  t.same(clock.delays(), [1000], 'the woken wait\'s timer is cleared')
  clock.advance(1000)
  t.ok(await settled(b), 'the timeout wakes the other')
  t.equal(watch.waiting(), 0)

  const gone = new AbortController()
  const closing = new AbortController()
  const c = watch.next(1, 5000, gone.signal, undefined, closing.signal)
  const d = watch.next(1, 5000, closing.signal)
  gone.abort()
  t.ok(await settled(c), 'the client going away wakes its own wait')
  t.notOk(await settled(d))
  closing.abort()
  t.ok(await settled(d), 'the server stopping wakes every wait')
  t.same(clock.delays(), [], 'no timer left')
  t.equal(watch.waiting(), 0)
  t.ok(await settled(watch.next(1, 5000, closing.signal)), 'an already aborted signal answers at once')
  t.same(clock.delays(), [])
})
