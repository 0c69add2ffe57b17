import t from 'tap'
import { buildJobLaunch, DEFAULT_JOB_PATH, EXIT_STATUS_WRAPPER, parseSystemdVersion } from '../../../agent/jobs/build-job-launch.ts'
import { exitedEvent, parseExitStatus } from '../../../agent/jobs/exited-event.ts'
import { parseProcStat } from '../../../agent/proc-stat.ts'
import { parsePasswd, resolveJobUser } from '../../../agent/jobs/resolve-job-user.ts'
import { assignment, UUIDS } from './job-harness.ts'

const PASSWD = `root:x:0:0:root:/root:/bin/bash
# a comment
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash
broken line
`
const alice = { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice', shell: '/bin/bash' }

t.test('passwd: parsed; root and unknown users refused; a non-root agent runs jobs as itself only', async t => {
  t.same(parsePasswd(PASSWD).map(u => u.name), ['root', 'nobody', 'alice'])
  t.same(resolveJobUser('alice', { passwd: PASSWD, agentUid: 0 }), alice)
  t.throws(() => resolveJobUser('root', { passwd: PASSWD, agentUid: 0 }), /root \(uid 0\)/)
  t.throws(() => resolveJobUser('mallory', { passwd: PASSWD, agentUid: 0 }), /"mallory" is not a user/)
  t.throws(() => resolveJobUser(undefined, { passwd: PASSWD, agentUid: 0 }), /no --job-user/)
  t.same(resolveJobUser(undefined, { passwd: PASSWD, agentUid: 1000 }), alice)
  t.same(resolveJobUser('alice', { passwd: PASSWD, agentUid: 1000 }), alice)
  t.throws(() => resolveJobUser('nobody', { passwd: PASSWD, agentUid: 1000 }), /only run jobs as itself/)
})

t.test('plain launch: the wrapper runs argv, a clean env with the GPUs, user switched by spawn', async t => {
  const a = assignment({ job_id: 7, command: ['python3', '-c', 'print(1)'], env: { FOO: 'bar', PATH: '/evil', CUDA_VISIBLE_DEVICES: '0' } })
  const l = buildJobLaunch({ assignment: a, user: alice, cwd: '/home/alice', systemd: false, switchUser: true })
  t.equal(l.file, '/bin/sh')
  t.same(l.args, ['-c', EXIT_STATUS_WRAPPER, 'gpufleet-job-7', 'python3', '-c', 'print(1)'])
  t.same(l.env, {
    HOME: '/home/alice', USER: 'alice', LOGNAME: 'alice', SHELL: '/bin/bash', PATH: DEFAULT_JOB_PATH, FOO: 'bar',
    GPUFLEET_JOB_ID: '7', GPUFLEET_JOB_RUN: String(a.run), CUDA_VISIBLE_DEVICES: UUIDS.join(','), NVIDIA_VISIBLE_DEVICES: UUIDS.join(','),
  })
  t.match(l, { uid: 1000, gid: 1000, cwd: '/home/alice', unit: null })
  const self = buildJobLaunch({ assignment: a, user: alice, cwd: '/', systemd: false, switchUser: false })
  t.equal(self.uid, undefined, 'a non-root agent does not switch')
})

t.test('systemd: a scope unit with only the job\'s GPU devices, user switched by systemd-run', async t => {
  const a = assignment({ job_id: 9, run: 123, command: ['./train.sh'], gpu_indices: [2, 5] })
  const l = buildJobLaunch({ assignment: a, user: alice, cwd: '/w', systemd: true, switchUser: true })
  t.equal(l.file, 'systemd-run')
  t.same(l.args, [
    '--scope', '--quiet', '--collect', '--unit', 'gpufleet-job-9-123',
    '--property', 'DevicePolicy=closed',
    '--property', 'DeviceAllow=/dev/nvidia2 rw', '--property', 'DeviceAllow=/dev/nvidia5 rw',
    '--property', 'DeviceAllow=/dev/nvidiactl rw', '--property', 'DeviceAllow=/dev/nvidia-uvm rw', '--property', 'DeviceAllow=/dev/nvidia-uvm-tools rw',
    '--uid', '1000', '--gid', '1000',
    '--', '/bin/sh', '-c', EXIT_STATUS_WRAPPER, 'gpufleet-job-9', './train.sh',
  ])
  t.equal(l.unit, 'gpufleet-job-9-123')
  t.equal(l.uid, undefined, 'systemd-run switches, not node')
  const expanding = buildJobLaunch({ assignment: a, user: alice, cwd: '/w', systemd: true, switchUser: true, systemdExpands: true })
  t.same(expanding.args.slice(0, 4), ['--scope', '--quiet', '--collect', '--expand-environment=no'], 'systemd-run ≥ 254 must not expand the wrapper\'s $')
  t.equal(parseSystemdVersion('systemd 255 (255.4-1ubuntu8)\n+PAM +AUDIT'), 255)
  t.equal(parseSystemdVersion('nope'), null)
})

t.test('/proc/<pid>/stat: fields counted from the last parenthesis', async t => {
  const line = '4242 (my (odd) job) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0'
  t.same(parseProcStat(line), { pid: 4242, comm: 'my (odd) job', state: 'S', ppid: 1, pgrp: 4242, session: 4242, startTime: '987654' })
  t.equal(parseProcStat('garbage'), null)
  t.equal(parseProcStat('12 (x) S 1'), null)
})

t.test('exit outcomes: status file and the failure each maps to', async t => {
  t.same(parseExitStatus('3\n'), { kind: 'exit', code: 3 })
  t.same(parseExitStatus('143\n'), { kind: 'signal', signal: 'SIGTERM' })
  t.same(parseExitStatus(''), { kind: 'unknown' })
  const base = { hostname: 'h', run: 1, at: 'now' }
  t.match(exitedEvent({ kind: 'exit', code: 0 }, null, base), { exit_code: 0, signal: null, failure: null })
  t.match(exitedEvent({ kind: 'exit', code: 3 }, null, base), { exit_code: 3, failure: 'EXIT_CODE' })
  t.match(exitedEvent({ kind: 'signal', signal: 'SIGSEGV' }, null, base), { exit_code: null, signal: 'SIGSEGV', failure: 'SIGNAL' })
  t.match(exitedEvent({ kind: 'signal', signal: 'SIGTERM' }, 'unassigned', base), { signal: 'SIGTERM', failure: null })
  t.match(exitedEvent({ kind: 'signal', signal: 'SIGTERM' }, 'timeout', base), { failure: 'TIMEOUT' })
  t.match(exitedEvent({ kind: 'unknown' }, null, base), { exit_code: null, signal: null, failure: 'SIGNAL', message: /left no exit status/ })
})
