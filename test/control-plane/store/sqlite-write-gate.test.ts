import t from 'tap'
import { createWriteGate, writerGate } from '../../../control-plane/store/sqlite/sqlite-write-gate.ts'

// The gate between the event loop's connection and the telemetry writer thread's: [0] who
// holds it (0 free, 1 event loop, 2 writer), [1] event-loop waiters.
t.test('the event loop awaits a writer hold without blocking, and runs once it is released', async t => {
  const gate = createWriteGate()
  const g = new Int32Array(gate.buffer)
  g[0] = 2
  let ran = false
  const run = gate.run(() => { ran = true; return 1 })
  await new Promise(resolve => setImmediate(resolve))
  t.equal(ran, false, 'waits while the writer holds it')
  t.equal(g[1], 1, 'the writer sees a waiter')
  gate.writerGone()
  t.equal(await run, 1)
  t.same([g[0], g[1]], [0, 0], 'released, no waiter left')
  t.equal(await gate.run(() => 2), 2, 'free: runs at once')
  await t.rejects(gate.run(() => { throw new Error('boom') }), /boom/)
  await t.rejects(gate.run(async () => { throw new Error('async boom') }), /async boom/)
  t.equal(g[0], 0, 'a throw releases it too')
})

t.test('the writer side holds it around its transaction and lets a waiting event loop in first', async t => {
  const gate = createWriteGate()
  const g = new Int32Array(gate.buffer)
  const run = writerGate(gate.buffer, 30)
  t.equal(run(() => g[0]), 2, 'held by the writer inside')
  t.equal(g[0], 0, 'released after')
  t.throws(() => run(() => { throw new Error('boom') }), /boom/)
  t.equal(g[0], 0)
  g[1] = 1
  t.equal(run(() => g[0]), 0, 'an event-loop waiter goes first; past maxWaitMs the writer goes on ungated (busy_timeout)')
  g[1] = 0
  gate.writerGone()
  t.equal(g[0], 0, 'writerGone leaves a free gate (or the event loop\'s hold) alone')
})
