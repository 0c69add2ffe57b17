import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { jobOfPidBySession } from '../../../agent/jobs/job-of-pid.ts'
import { parseSessionId, readSessionId } from '../../../agent/jobs/read-session-id.ts'

t.test('parseSessionId: field 6, counted from the last ")"', async t => {
  t.equal(parseSessionId('4242 (python3) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 123 0 0'), 4242)
  t.equal(parseSessionId('77 (evil) S 1 2 3) R 9 10 11 0'), 11, 'a comm with ") " in it')
  t.equal(parseSessionId('77 (a b) S 1 2 300 0'), 300)
  t.equal(parseSessionId(''), null)
  t.equal(parseSessionId('garbage'), null)
  t.equal(parseSessionId('1 (x) S 1 2'), null, 'cut short')
})

t.test('readSessionId: a missing pid or proc root is null', async t => {
  t.equal(readSessionId(1, t.testdir()), null)
  const dir = t.testdir({ '55': { stat: '55 (sleep) S 1 50 50 0 -1 0' } })
  t.equal(readSessionId(55, dir), 50)
})

t.test('real processes: a job\'s session leader and its grandchild share the session; others do not', { skip: !existsSync('/proc/self/stat') && 'no /proc' }, async t => {
  // detached: setsid(), as the executor starts a job.
  const leader = spawn('sh', ['-c', 'sleep 60 & echo $!; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] })
  t.teardown(() => { try { process.kill(-leader.pid!, 'SIGKILL') } catch {} })
  const grandchild = await new Promise<number>(resolve => leader.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))))
  t.equal(readSessionId(leader.pid!), leader.pid, 'the leader\'s session is its pid')
  t.equal(readSessionId(grandchild), leader.pid, 'the backgrounded sleep is in the job\'s session')
  t.not(readSessionId(process.pid), leader.pid, 'the test runner is not')
  const jobOfPid = jobOfPidBySession(sid => (sid === leader.pid ? { job_id: 9, run: 123 } : null))
  t.same(jobOfPid(grandchild), { job_id: 9, run: 123 })
  t.equal(jobOfPid(process.pid), null)
  t.equal(jobOfPid(2 ** 22 + 1), null, 'no such pid')
})
