import t from 'tap'
import { checkAging, DEFAULT_AGING, effectivePriority } from '../../../control-plane/scheduling/effective-priority.ts'
import { createScheduler } from '../../../control-plane/scheduling/create-scheduler.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { createPlanSim } from './plan-sim.ts'

const MIN = 60_000

// Issue 14, starvation 3: a priority-10 job behind a steady stream of priority-5 jobs.
t.test('aging: a priority-10 job behind a stream of priority-5 jobs starts within the documented bound', async t => {
  const RUN = 10 * MIN
  const run = (aging = DEFAULT_AGING) => {
    const sim = createPlanSim({ nodes: [{ gpus: 2 }], policy: { aging } })
    const stream = () => {
      while ([...sim.jobs.values()].filter(j => j.priority === 5 && j.status !== 'running' && j.status !== 'completed').length < 2) {
        sim.submit({ gpuCount: 1, priority: 5 })
      }
    }
    stream()
    sim.cycle()
    const low = sim.submit({ gpuCount: 1, priority: 10 })
    for (let tick = 0; tick < 48 * 12 && sim.jobs.get(low)!.status !== 'running'; tick++) {
      sim.advance(5 * MIN)
      for (const j of sim.running()) if (sim.now() - j.startedAt! >= RUN) sim.complete(j.id)
      stream()
      sim.cycle()
    }
    const j = sim.jobs.get(low)!
    return j.startedAt === null ? null : j.startedAt - j.submittedAt
  }
  const waited = run()
  t.not(waited, null, 'it started')
  // Documented: after (priority − 1) steps it ranks as priority 1, ahead of everything newer;
  // then it waits at most for one running job to end.
  const bound = (10 - 1) * DEFAULT_AGING.stepMs + RUN
  t.ok(waited !== null && waited <= bound, `waited ${(waited ?? NaN) / MIN} min, bound ${bound / MIN} min`)
  t.ok(waited !== null && waited >= (10 - 5) * DEFAULT_AGING.stepMs, 'and not before it had aged to the stream\'s priority')
  t.equal(run({ stepMs: DEFAULT_AGING.stepMs, maxSteps: 0 }), null, 'with aging off it waits for two days and more')
})

t.test('effective priority: one step per stepMs, at most maxSteps, never past 1', async t => {
  const aging = { stepMs: 30 * MIN, maxSteps: 3 }
  t.equal(effectivePriority(5, 0, aging), 5)
  t.equal(effectivePriority(5, 29 * MIN, aging), 5)
  t.equal(effectivePriority(5, 30 * MIN, aging), 4)
  t.equal(effectivePriority(5, 10 * 60 * MIN, aging), 2, 'capped at maxSteps')
  t.equal(effectivePriority(2, 10 * 60 * MIN, aging), 1, 'never past priority 1')
  t.equal(effectivePriority(5, -5 * 60 * MIN, aging), 5, 'a submit time ahead of the clock ages nothing')
  t.throws(() => checkAging({ stepMs: 0, maxSteps: 1 }), /aging\.stepMs/)
  t.throws(() => checkAging({ stepMs: 1000, maxSteps: 1.5 }), /aging\.maxSteps/)
  t.throws(() => createScheduler({ store: {} as Store, now: Date.now, aging: { stepMs: Number.NaN, maxSteps: 9 } }), /aging\.stepMs/)
})
