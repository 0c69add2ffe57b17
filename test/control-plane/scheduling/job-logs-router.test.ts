import t from 'tap'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { MAX_LOG_CHUNK_BYTES } from '../../../shared/wire/job-execution.ts'
import { isError } from '../cp-harness.ts'
import { drain, jobLogsHarness, POLL_MS, SETTLE_MS } from './job-logs-harness.ts'

t.test('upload: append, replay, offset mismatch; the log reads back whole', async t => {
  const x = await jobLogsHarness(t)
  const { id, run } = await x.runningJob()
  t.match(await x.upload(id, { run, offset: 0 }, 'line 1\nline 2\n'), { status: 200, body: { ok: true, offset: 14 } })
  t.match(await x.upload(id, { run, offset: 14 }, 'line 3\n'), { status: 200, body: { ok: true, offset: 21 } })
  t.match(await x.upload(id, { run, offset: 7 }, 'line 2\nline 3\nline 4\n'), { status: 200, body: { ok: true, offset: 28 } }, 'the replayed prefix is skipped')
  t.match(await x.upload(id, { run, offset: 0 }, 'line 1\n'), { status: 200, body: { offset: 28 } }, 'a whole replay is a no-op')
  const gap = await x.upload(id, { run, offset: 40 }, 'lost?\n')
  isError(t, gap, 409, 'LOG_OFFSET_MISMATCH')
  t.same(gap.body.details, { offset: 28 }, 'says where to resend from')
  const all = await x.h.req('GET', `/api/jobs/${id}/logs`, { key: x.h.root })
  t.equal(all.status, 200)
  t.match(all.headers.get('content-type'), /^text\/plain/)
  t.equal(all.text, 'line 1\nline 2\nline 3\nline 4\n')
  t.equal(all.headers.get('x-gpufleet-log-truncated'), null, 'nothing dropped')
  t.equal((await x.h.req('GET', `/api/jobs/${id}/logs?tail=2`, { key: x.h.root })).text, 'line 3\nline 4\n')
  t.equal((await x.h.req('GET', `/api/jobs/${id}/logs?tail=10000`, { key: x.h.root })).text, 'line 1\nline 2\nline 3\nline 4\n')
})

t.test('upload refusals: old run, wrong node, other cluster\'s key, unknown job, oversize, not octets, bad query; nothing written', async t => {
  const x = await jobLogsHarness(t)
  const { id, run } = await x.runningJob()
  isError(t, await x.upload(id, { run: run - 1, offset: 0 }, 'old'), 409, 'STALE_RUN')
  isError(t, await x.upload(id, { run, offset: 0, hostname: x.otherHostname }, 'x', { key: x.otherKey }), 409, 'JOB_ON_OTHER_NODE')
  isError(t, await x.upload(id, { run, offset: 0 }, 'x', { key: x.otherKey }), 403, 'NODE_OWNED_BY_OTHER_CLUSTER')
  isError(t, await x.upload(id, { run, offset: 0, hostname: 'nowhere' }, 'x'), 404, 'NODE_NOT_FOUND')
  isError(t, await x.upload(999, { run, offset: 0 }, 'x'), 404, 'JOB_NOT_FOUND')
  isError(t, await x.upload(id, { run, offset: 0 }, 'x'.repeat(MAX_LOG_CHUNK_BYTES + 1)), 413, 'PAYLOAD_TOO_LARGE')
  isError(t, await x.upload(id, { run, offset: 0 }, '{"a":1}', { type: 'application/json' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
  isError(t, await x.upload(id, { run, offset: 0 }, 'x', { type: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
  isError(t, await x.h.req('POST', `/api/agent/jobs/${id}/logs?hostname=${x.hostname}&run=abc&offset=0`, { key: x.agentKey, body: 'x', headers: { 'content-type': 'application/octet-stream' } }), 400, 'VALIDATION_FAILED')
  isError(t, await x.h.req('POST', `/api/agent/jobs/${id}/logs?run=${run}&offset=0`, { key: x.agentKey, body: 'x', headers: { 'content-type': 'application/octet-stream' } }), 400, 'VALIDATION_FAILED')
  isError(t, await x.upload(id, { run, offset: 0 }, 'x', { key: await x.keyOf(x.tenantA) }), 403, 'FORBIDDEN')
  isError(t, await x.h.req('POST', '/api/jobs', { key: x.h.root, body: 'x', headers: { 'content-type': 'application/octet-stream' } }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'raw bytes only on the upload path')
  t.equal(await x.store.jobLogs.latestRun(id), null, 'nothing written')
  t.match(await x.upload(id, { run, offset: 0 }, 'x'.repeat(MAX_LOG_CHUNK_BYTES)), { status: 200, body: { offset: MAX_LOG_CHUNK_BYTES } }, 'exactly the limit is fine')
})

t.test('an ended job takes its tail for a while, then refuses', async t => {
  const x = await jobLogsHarness(t)
  const { id, run } = await x.runningJob()
  t.equal((await x.h.req('PATCH', `/api/jobs/${id}`, { key: x.h.root, body: { status: 'completed' } })).status, 200)
  t.match(await x.upload(id, { run, offset: 0 }, 'last words\n'), { status: 200, body: { offset: 11 } })
  x.clock.set(x.clock.now() + 11 * 60_000)
  isError(t, await x.upload(id, { run, offset: 11 }, 'too late\n'), 409, 'JOB_LOG_CLOSED')
  t.equal((await x.h.req('GET', `/api/jobs/${id}/logs`, { key: x.h.root })).text, 'last words\n')
})

t.test('retention drops the head; the header says how much', async t => {
  const x = await jobLogsHarness(t, { retainBytes: 256 * 1024 })
  const { id, run } = await x.runningJob()
  const piece = (c: string) => `${c.repeat(64 * 1024 - 1)}\n`
  let offset = 0
  for (const c of 'abcde') offset = (await x.upload(id, { run, offset }, piece(c))).body.offset
  const res = await x.h.req('GET', `/api/jobs/${id}/logs`, { key: x.h.root })
  t.equal(res.headers.get('x-gpufleet-log-truncated'), String(64 * 1024))
  t.equal(res.text, piece('b') + piece('c') + piece('d') + piece('e'), 'the newest 256 KiB')
  t.equal((await x.h.req('GET', `/api/jobs/${id}/logs?tail=1`, { key: x.h.root })).text, piece('e'))
})

t.test('read refusals: bad tail or follow, unknown job, another tenant\'s job', async t => {
  const x = await jobLogsHarness(t)
  const { id, run } = await x.runningJob()
  await x.upload(id, { run, offset: 0 }, 'secret\n')
  for (const q of ['tail=0', 'tail=10001', 'tail=abc', 'tail=-1', 'follow=yes', 'follow=2']) {
    isError(t, await x.h.req('GET', `/api/jobs/${id}/logs?${q}`, { key: x.h.root }), 400, 'VALIDATION_FAILED', q)
  }
  isError(t, await x.h.req('GET', '/api/jobs/999/logs', { key: x.h.root }), 404, 'JOB_NOT_FOUND')
  const other = await x.h.req('GET', `/api/jobs/${id}/logs`, { key: await x.keyOf(x.tenantB) })
  isError(t, other, 404, 'JOB_NOT_FOUND', 'another tenant\'s job answers as unknown')
  t.notMatch(other.text, /secret/)
  t.equal((await x.h.req('GET', `/api/jobs/${id}/logs`, { key: await x.keyOf(x.tenantA) })).text, 'secret\n', 'its own tenant reads it')
  isError(t, await x.h.req('GET', `/api/jobs/${id}/logs`, { key: x.agentKey }), 403, 'FORBIDDEN', 'an agent key does not read logs')
  const none = await x.runningJob()
  t.match(await x.h.req('GET', `/api/jobs/${none.id}/logs`, { key: x.h.root }), { status: 200, text: '' }, 'no log yet: empty')
})

t.test('follow: bytes appended after the request arrive; the stream ends once the job has ended and gone quiet', async t => {
  const x = await jobLogsHarness(t)
  const { id, run } = await x.runningJob()
  await x.upload(id, { run, offset: 0 }, 'before\n')
  const res = await x.follow(`/api/jobs/${id}/logs?follow=1`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain/)
  const body = drain(res)
  const until = async (want: string) => {
    for (let i = 0; i < 50 && !body.text().includes(want); i++) await x.idle()
    return body.text()
  }
  t.equal(await until('before\n'), 'before\n', 'what was there')
  await x.upload(id, { run, offset: 7 }, 'after\n')
  t.equal(await until('after\n'), 'before\nafter\n', 'an upload wakes the follower')
  t.notOk(body.done(), 'still open while the job runs')
  await x.h.req('PATCH', `/api/jobs/${id}`, { key: x.h.root, body: { status: 'completed' } })
  await x.upload(id, { run, offset: 13 }, 'exit\n')
  t.equal(await until('exit\n'), 'before\nafter\nexit\n', 'the tail uploaded after the end')
  for (let i = 0; i < 20 && !body.done(); i++) { await x.clock.advance(POLL_MS); await x.idle() }
  t.ok(body.done(), `ended within the settle time (${SETTLE_MS} ms)`)
  await body.finished
  t.equal(x.liveTimers(), 0, 'no timer left')
})

t.test('follow with tail; a job not started yet is followed from its start; a client that leaves leaves no timer', async t => {
  const x = await jobLogsHarness(t)
  const { id, run } = await x.runningJob()
  await x.upload(id, { run, offset: 0 }, 'a\nb\nc\n')
  const tailed = drain(await x.follow(`/api/jobs/${id}/logs?follow=1&tail=1`))
  for (let i = 0; i < 50 && tailed.text() === ''; i++) await x.idle()
  t.equal(tailed.text(), 'c\n')
  await x.clock.advance(POLL_MS)
  await x.idle()
  t.ok(x.liveTimers() > 0, 'waiting')
  await tailed.cancel()
  await x.idle()
  t.equal(x.liveTimers(), 0, 'the follower stopped when its client left')

  // Two GPUs: a third one-GPU job waits, and is followed before it runs.
  await x.runningJob()
  const queued = (await x.h.req('POST', '/api/jobs', { key: x.h.root, body: { cluster_id: 1, name: 'later' } })).body.id as number
  const early = drain(await x.follow(`/api/jobs/${queued}/logs?follow=1`))
  await x.h.req('PATCH', `/api/jobs/${id}`, { key: x.h.root, body: { status: 'completed' } })
  await x.settle()
  const started = (await x.h.req('GET', `/api/jobs/${queued}`, { key: x.h.root })).body
  t.equal(started.status, 'running')
  await x.upload(queued, { run: Date.parse(started.started_at), offset: 0 }, 'hello from the start\n')
  for (let i = 0; i < 5 && early.text() === ''; i++) { await x.clock.advance(POLL_MS); await x.idle() }
  t.equal(early.text(), 'hello from the start\n')
  await early.cancel()
})

t.test('on a real server: a follower whose client disconnects stops and leaves no timer', async t => {
  const x = await jobLogsHarness(t)
  const { id, run } = await x.runningJob()
  await x.upload(id, { run, offset: 0 }, 'first\n')
  const server = serve({ fetch: x.h.app.fetch, port: 0, hostname: '127.0.0.1' })
  t.teardown(() => new Promise<void>(resolve => { server.close(() => resolve()) }))
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const gone = new AbortController()
  const res = await fetch(`http://127.0.0.1:${port}/api/jobs/${id}/logs?follow=1`, { headers: { authorization: `Bearer ${x.h.root}` }, signal: gone.signal })
  t.equal(res.headers.get('transfer-encoding'), 'chunked')
  const reader = res.body!.getReader()
  t.equal(new TextDecoder().decode((await reader.read()).value), 'first\n')
  await x.upload(id, { run, offset: 6 }, 'second\n')
  t.equal(new TextDecoder().decode((await reader.read()).value), 'second\n', 'streamed through the socket as it came')
  t.ok(x.liveTimers() > 0, 'the follower waits')
  gone.abort()
  let left = x.liveTimers()
  for (let i = 0; i < 200 && left > 0; i++) {
    await new Promise(resolve => setTimeout(resolve, 10))
    left = x.liveTimers()
  }
  t.equal(left, 0, 'stopped when the socket closed')
})

t.test('a stopping server ends its followers (RouterContext.closing), so its close is not held up', async t => {
  const closing = new AbortController()
  const x = await jobLogsHarness(t, { closing: closing.signal })
  const { id, run } = await x.runningJob()
  await x.upload(id, { run, offset: 0 }, 'running\n')
  const body = drain(await x.follow(`/api/jobs/${id}/logs?follow=1`))
  for (let i = 0; i < 50 && body.text() === ''; i++) await x.idle()
  t.equal(body.text(), 'running\n')
  closing.abort()
  for (let i = 0; i < 50 && !body.done(); i++) await x.idle()
  t.ok(body.done(), 'the stream ended while the job still runs')
  t.equal(x.liveTimers(), 0)
})
