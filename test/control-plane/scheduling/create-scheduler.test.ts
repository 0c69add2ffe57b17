import t from 'tap'
import { Registry } from 'prom-client'
import { createScheduler } from '../../../control-plane/scheduling/create-scheduler.ts'
import type { SchedulerCycle, SchedulerSnapshot } from '../../../control-plane/store/job-repository.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { fakeClock, T0 } from '../fleet/fleet-harness.ts'
import { memoryLog } from '../router-harness.ts'

/** A store whose runCycle records calls; `during` runs inside a cycle (to stall, fail or move the clock). */
function stubStore (during: (trigger: string) => Promise<void> | void = () => {}, lockWait: () => Promise<void> | void = () => {}) {
  const calls: Array<{ at: number, trigger: string }> = []
  let active = 0
  let maxActive = 0
  const empty: SchedulerSnapshot = { at: 0, jobs: [], tenants: [], inventory: [], free: [] }
  const store = {
    jobs: {
      async endTimedOut () { return { ended: [], nextAt: null } },
      async runCycle (when: number | (() => number), trigger: string, _opts: unknown, plan: (s: SchedulerSnapshot) => { processed: number, blocked: number, detail: Record<string, unknown> }): Promise<SchedulerCycle> {
        await lockWait()
        const at = typeof when === 'function' ? when() : when
        active++
        maxActive = Math.max(maxActive, active)
        try {
          calls.push({ at, trigger })
          const p = plan({ ...empty, at })
          await during(trigger)
          return { id: calls.length, startedAt: at, durationMs: 1, trigger, processed: p.processed, started: 0, blocked: p.blocked, detail: p.detail }
        } finally {
          active--
        }
      },
    },
  } as unknown as Store
  return { store, calls, maxActive: () => maxActive }
}

const flush = async () => { for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve)) }

t.test('a poke runs one cycle debounceMs after the first poke; later pokes join it and do not push it back', async t => {
  const clock = fakeClock(T0 + 1000)
  const { store, calls } = stubStore()
  const s = createScheduler({ store, now: clock.now, timers: clock.timers, debounceMs: 200 })
  s.poke('submit')
  t.equal(clock.pending(), 0, 'ignored while stopped')
  s.start()
  await clock.advance(200)
  await flush()
  t.same(calls.map(c => [c.at - T0, c.trigger]), [[1200, 'poke:start']], 'start looks at the queue at once')

  s.poke('submit')
  await clock.advance(150)
  s.poke('job_ended')
  s.poke('submit')
  await clock.advance(49)
  await flush()
  t.equal(calls.length, 1, 'nothing before the debounce has passed')
  await clock.advance(1)
  await flush()
  t.same(calls.slice(1).map(c => [c.at - T0, c.trigger]), [[1400, 'poke:job_ended,submit']], 'one cycle, 200 ms after the first poke, naming every reason')
  await s.stop()
})

t.test('the interval aligns to slots, and a cycle that overruns skips the slots it missed', async t => {
  const clock = fakeClock(T0 + 7000)
  let release: () => void = () => {}
  const { store, calls } = stubStore(async trigger => {
    // The second interval cycle stalls until the test lets it go.
    if (trigger === 'interval' && calls.filter(c => c.trigger === 'interval').length === 2) await new Promise<void>(resolve => { release = resolve })
  })
  const s = createScheduler({ store, now: clock.now, timers: clock.timers, everyMs: 30_000 })
  s.start()
  await clock.advance(23_000)
  await flush()
  t.same(calls.map(c => [c.at - T0, c.trigger]), [[7200, 'poke:start'], [30_000, 'interval']])
  await clock.advance(30_000)
  await flush()
  t.equal(calls.length, 3, 'the 60 s cycle is running')
  await clock.advance(70_000)
  await flush()
  t.equal(calls.length, 3, 'no cycle for the 90 s and 120 s slots while it runs')
  release()
  await flush()
  await clock.advance(19_999)
  await flush()
  t.equal(calls.length, 3, 'nothing back to back once it ends at 130 s')
  await clock.advance(1)
  await flush()
  t.same(calls.slice(2).map(c => c.at - T0), [60_000, 150_000], 'next at the 150 s slot')
  await s.stop()
  t.equal(clock.pending(), 0, 'stop cancels every timer')
})

t.test('cycles never overlap: runCycle waits for the one in flight; stop waits too', async t => {
  const clock = fakeClock()
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  const { store, calls, maxActive } = stubStore(async trigger => { if (trigger === 'first') await gate })
  const s = createScheduler({ store, now: clock.now, timers: clock.timers })
  const first = s.runCycle('first')
  const second = s.runCycle('second')
  await flush()
  t.same(calls.map(c => c.trigger), ['first'], 'the second waits')
  let stopped = false
  const stopping = s.stop().then(() => { stopped = true })
  await flush()
  t.notOk(stopped, 'stop waits for the cycle in flight')
  release()
  await Promise.all([first, second, stopping])
  t.same(calls.map(c => c.trigger), ['first', 'second'])
  t.equal(maxActive(), 1)
})

t.test('a failed cycle is logged and counted, and the loop goes on', async t => {
  const clock = fakeClock()
  const { lines, log } = memoryLog()
  const registry = new Registry()
  let fail = true
  const { store, calls } = stubStore(() => { if (fail) throw new Error('database is locked') })
  const s = createScheduler({ store, now: clock.now, timers: clock.timers, log, registry })
  s.start()
  await clock.advance(200)
  await flush()
  t.match(lines, [{ level: 'warn', msg: 'scheduler cycle failed', obj: { trigger: 'poke:start', err: 'Error: database is locked' } }])
  fail = false
  s.poke('submit')
  await clock.advance(200)
  await flush()
  t.equal(calls.length, 2, 'the next poke still runs a cycle')
  const text = await registry.metrics()
  t.match(text, /gpufleet_cp_scheduler_cycles_total\{outcome="failed"\} 1/)
  t.match(text, /gpufleet_cp_scheduler_cycles_total\{outcome="ok"\} 1/)
  t.match(text, /gpufleet_cp_scheduler_waiting_jobs\{reason="OPERATOR_HOLD"\} 0/)
  await s.stop()
})

t.test('options are checked when built', async t => {
  const { store } = stubStore()
  t.throws(() => createScheduler({ store, now: Date.now, everyMs: 0 }), /everyMs/)
  t.throws(() => createScheduler({ store, now: Date.now, debounceMs: -1 }), /debounceMs/)
  t.throws(() => createScheduler({ store, now: Date.now, staleAfterMs: Number.NaN }), /staleAfterMs/)
})

t.test('a cycle\'s time is read once the store holds the lock: a job ended while it waited is never released after the next start', async t => {
  const clock = fakeClock(T0 + 1000)
  // Waiting for the scheduling lock takes 300 ms (a PATCH that ends a job holds it meanwhile).
  const { store, calls } = stubStore(() => {}, () => { clock.set(clock.now() + 300) })
  const s = createScheduler({ store, now: clock.now, timers: clock.timers, debounceMs: 200 })
  await s.runCycle('test')
  t.same(calls.map(c => c.at), [T0 + 1300], 'the time after the wait, not the time the cycle was asked for')
})
