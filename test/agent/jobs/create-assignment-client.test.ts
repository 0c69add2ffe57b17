import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { createAssignmentClient } from '../../../agent/jobs/create-assignment-client.ts'
import { createBackoff } from '../../../agent/uplink/create-backoff.ts'
import { createUpstream } from '../../../agent/uplink/create-upstream.ts'
import type { Assignment } from '../../../shared/wire/job-execution.ts'
import { startFakeJobControlPlane } from './fake-job-control-plane.ts'
import { assignment, memoryLog, until } from './job-harness.ts'

const KEY = 'gfk_test_ingest_key'
const LONG = 60_000
const HOUR = 3_600_000

function client (t: Test, url: string, gapMs: { unchanged?: number, changed?: number }) {
  const upstream = createUpstream({ baseUrl: url, apiKey: KEY, userAgent: 'test' })
  const sets: Assignment[][] = []
  const c = createAssignmentClient({ upstream, hostname: 'node-1', onAssignments: jobs => sets.push(jobs), log: memoryLog(), backoff: createBackoff(), waitS: 30, gapMs })
  t.teardown(async () => { await c.stop(); await upstream.close() })
  c.start()
  return sets
}

t.test('after a changed set the next poll goes out at once, whatever the gap after an unchanged one', async t => {
  const cp = await startFakeJobControlPlane(KEY)
  t.teardown(() => cp.close())
  const polls = () => cp.requests.filter(r => r.method === 'GET').length
  const sets = client(t, cp.url, { unchanged: HOUR, changed: 0 })
  await until('the first answer, then a held poll', () => sets.length === 1 && polls() === 2, undefined, LONG)
  cp.setJobs([assignment({ job_id: 1, command: ['true'] })])
  await until('the change is answered and polled for again', () => sets.length === 2 && polls() === 3, undefined, LONG)
  cp.setJobs([assignment({ job_id: 1, command: ['true'] }), assignment({ job_id: 2, command: ['true'] })])
  await until('the next change arrives too', () => sets.length === 3, undefined, LONG)
  t.same(sets.map(s => s.map(a => a.job_id)), [[], [1], [1, 2]])
})

t.test('a control plane that answers the same set at once (ignores wait_s) is polled no faster than the unchanged gap', async t => {
  let polls = 0
  const server = createServer((req, res) => {
    polls++
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ node_id: 1, etag: 'same', jobs: [] }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  const sets = client(t, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, { unchanged: HOUR, changed: 0 })
  await until('two answers: the first (a change from nothing) and the same set again', () => sets.length === 2, undefined, LONG)
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(polls, 2, 'no third poll within the unchanged gap')
})
