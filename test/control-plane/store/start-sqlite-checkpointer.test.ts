import t from 'tap'
import { startSqliteCheckpointer } from '../../../control-plane/store/sqlite/start-sqlite-checkpointer.ts'
import type { CheckpointResult } from '../../../control-plane/store/sqlite/open-checkpoint-worker.ts'
import type { Timers } from '../../../shared/timers.ts'

function fakeTimers () {
  const due: Array<{ fn: () => void, ms: number }> = []
  const timers: Timers = {
    setTimeout: (fn, ms) => { const h = { fn, ms }; due.push(h); return h },
    clearTimeout: h => { const i = due.indexOf(h as { fn: () => void, ms: number }); if (i >= 0) due.splice(i, 1) },
  }
  const fire = async () => {
    const h = due.shift()
    if (h === undefined) throw new Error('no timer pending')
    h.fn()
    // Let the pass and its rescheduling settle.
    for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
  }
  return { timers, due, fire }
}

const ok = (walFrames: number): CheckpointResult => ({ busy: false, walFrames, checkpointedFrames: walFrames, ms: 1 })

t.test('checkpoints once per slot and reports each result', async t => {
  const { timers, due, fire } = fakeTimers()
  const results: CheckpointResult[] = []
  let calls = 0
  const cp = startSqliteCheckpointer({
    checkpoint: async () => ok(++calls * 10),
    everyMs: 100,
    now: () => 1_000_030,
    timers,
    onResult: r => results.push(r),
  })
  t.equal(calls, 0, 'nothing before the first slot')
  t.equal(due.length, 1)
  t.equal(due[0]!.ms, 70, 'aligned to the next 100 ms slot')
  await fire()
  await fire()
  t.equal(calls, 2)
  t.same(results.map(r => r.walFrames), [10, 20])
  t.equal(due.length, 1, 'the next run is scheduled')
  await cp.stop()
  t.equal(due.length, 0, 'stop cancels the next run')
})

t.test('a failed checkpoint is logged and the loop goes on', async t => {
  const { timers, fire } = fakeTimers()
  const warnings: string[] = []
  let calls = 0
  const cp = startSqliteCheckpointer({
    checkpoint: async () => { if (++calls === 1) throw new Error('disk I/O error'); return ok(5) },
    now: () => 0,
    timers,
    log: { warn: (obj, msg) => warnings.push(`${msg}: ${(obj as { err: { message: string } }).err.message}`) },
  })
  await fire()
  t.same(warnings, ['sqlite checkpoint failed: disk I/O error'])
  await fire()
  t.equal(calls, 2, 'retried at the next slot')
  await cp.stop()
})

t.test('stop waits for a checkpoint in progress', async t => {
  const { timers, fire } = fakeTimers()
  let finish: (r: CheckpointResult) => void = () => {}
  let stopped = false
  const cp = startSqliteCheckpointer({ checkpoint: () => new Promise(resolve => { finish = resolve }), now: () => 0, timers })
  await fire()
  const stopping = cp.stop().then(() => { stopped = true })
  await new Promise(resolve => setImmediate(resolve))
  t.equal(stopped, false)
  finish(ok(1))
  await stopping
  t.equal(stopped, true)
})

t.test('everyMs is checked when built', async t => {
  t.throws(() => startSqliteCheckpointer({ checkpoint: async () => ok(0), everyMs: 0 }), /everyMs must be a positive integer/)
})
