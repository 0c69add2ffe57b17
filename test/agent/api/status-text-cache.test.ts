import t from 'tap'
import { createStatusTextCache } from '../../../agent/api/status-text-cache.ts'

t.test('one build per set of inputs; the age is spliced into the same text', async t => {
  const text = createStatusTextCache()
  let builds = 0
  const snapA = { gpus: [1] }
  const snapB = { gpus: [2] }
  const body = (snap: object) => (age: number) => { builds++; return { status: 'success', snap, hostname: 'h"data_age_ms":0', data_age_ms: age, after: true } }
  const a1 = JSON.parse(text([snapA, null], 12, body(snapA)))
  const a2 = JSON.parse(text([snapA, null], 907, body(snapA)))
  t.same([a1.data_age_ms, a2.data_age_ms, builds], [12, 907, 1], 'the same inputs: built once')
  t.equal(a2.hostname, 'h"data_age_ms":0', 'a value that looks like the marker is left alone')
  t.equal(a2.after, true)
  const b = JSON.parse(text([snapB, null], 5, body(snapB)))
  t.same([b.snap, b.data_age_ms, builds], [{ gpus: [2] }, 5, 2], 'a new snapshot: built again')
  text([snapB, { apps: 1 }], 5, body(snapB))
  t.equal(builds, 3, 'new compute apps: built again')
})
