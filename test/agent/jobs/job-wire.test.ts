import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parseAssignmentSet } from '../../../agent/jobs/create-assignment-client.ts'
import { logEnd, readLog, rotateLogIfOver } from '../../../agent/jobs/job-log-file.ts'
import { readJobAnswer } from '../../../agent/jobs/read-job-answer.ts'
import { assignment, stateDir } from './job-harness.ts'

t.test('answers: ok with JSON, the control plane\'s own refusals, everything else retried', async t => {
  t.match(readJobAnswer({ status: 200, text: '{"ok":true,"offset":5}' }), { kind: 'ok', body: { offset: 5 } })
  t.match(readJobAnswer({ status: 200, text: '<html>' }), { kind: 'retry', status: 200 })
  t.match(readJobAnswer({ status: 409, text: '{"statusCode":409,"code":"LOG_OFFSET_MISMATCH","error":"Conflict","message":"m","details":{"offset":7}}' }), { kind: 'refused', code: 'LOG_OFFSET_MISMATCH', details: { offset: 7 } })
  t.match(readJobAnswer({ status: 409, text: '{"error":{"code":"LOG_OFFSET_MISMATCH","details":{"offset":9}}}' }), { kind: 'refused', code: 'LOG_OFFSET_MISMATCH', details: { offset: 9 } })
  t.match(readJobAnswer({ status: 404, text: '<html>not found</html>' }), { kind: 'retry', status: 404, auth: false }, 'a proxy\'s 404 is not the control plane\'s')
  t.match(readJobAnswer({ status: 401, text: '{"code":"UNAUTHORIZED"}' }), { kind: 'retry', auth: true })
  t.match(readJobAnswer({ status: 503, text: '' }), { kind: 'retry', error: 'HTTP 503' })
  t.match(readJobAnswer({ status: null, text: '', error: 'ECONNREFUSED: x' }), { kind: 'retry', status: null, error: 'ECONNREFUSED: x' })
})

t.test('assignment sets: the shape the executor relies on, else null', async t => {
  const job = assignment({ job_id: 1, command: ['true'] })
  t.same(parseAssignmentSet({ node_id: 1, etag: 'e', jobs: [job] })?.jobs, [job])
  t.same(parseAssignmentSet({ node_id: 1, etag: 'e', jobs: [] })?.jobs, [])
  t.equal(parseAssignmentSet({ etag: 'e' }), null)
  t.equal(parseAssignmentSet({ etag: 'e', jobs: [{ ...job, command: 'true' }] }), null)
  t.equal(parseAssignmentSet({ etag: 'e', jobs: [{ ...job, env: { A: 1 } }] }), null)
  t.equal(parseAssignmentSet({ etag: 'e', jobs: [{ ...job, started_at: 'yesterday' }] }), null)
  t.equal(parseAssignmentSet('nope'), null)
})

t.test('log file: logical offsets across a rotation, a gap when bytes were rotated twice', async t => {
  const log = join(stateDir(), 'j.log')
  writeFileSync(log, 'aaaaabbbbb')
  t.equal(rotateLogIfOver(log, 20), 0, 'under the bound: nothing moves')
  t.equal(rotateLogIfOver(log, 8), 10)
  let rotated = 10
  appendFileSync(log, 'ccccc')
  t.equal(logEnd(log, rotated), 15)
  t.same(readLog(log, rotated, 3, 100), { kind: 'bytes', data: Buffer.from('aabbbbb') }, 'from .1, never across the boundary')
  t.same(readLog(log, rotated, 10, 100), { kind: 'bytes', data: Buffer.from('ccccc') })
  t.same(readLog(log, rotated, 12, 2), { kind: 'bytes', data: Buffer.from('cc') })
  appendFileSync(log, 'dddd')
  rotated += rotateLogIfOver(log, 8)
  t.equal(rotated, 19)
  t.same(readLog(log, rotated, 3, 100), { kind: 'gap', to: 10 }, 'bytes 3..10 are gone')
  t.same(readLog(log, rotated, 10, 100), { kind: 'bytes', data: Buffer.from('cccccdddd') })
  t.same(readLog(log, rotated, 19, 100), { kind: 'bytes', data: Buffer.alloc(0) })
})
