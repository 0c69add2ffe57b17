import t from 'tap'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { createSlurmImportLoop } from '../../../control-plane/slurm/create-slurm-import-loop.ts'
import { createSlurmLoop } from '../../../control-plane/slurm/create-slurm-loop.ts'
import { slurmSourceFromConfig } from '../../../control-plane/slurm/slurm-source-from-config.ts'
import { SlurmImportError } from '../../../control-plane/slurm/slurm-import-error.ts'
import type { SlurmSource } from '../../../control-plane/slurm/slurm-source.ts'
import { parseControlPlaneConfig } from '../../../control-plane/config.ts'
import { manualTimers } from '../../helpers/manual-timers.ts'

const T0 = Date.UTC(2026, 5, 1, 12)
const job = (id: number, state: string, end: number) => ({ job_id: id, cluster: 'c', state: { current: state }, time: { submission: 1, start: T0 / 1000 - 3600, end }, tres: { allocated: [{ type: 'gres', name: 'gpu', count: 2 }] } })

function logSink () {
  const lines: Array<{ level: string, msg: string, obj: object }> = []
  return { lines, log: { info: (obj: object, msg: string) => lines.push({ level: 'info', msg, obj }), warn: (obj: object, msg: string) => lines.push({ level: 'warn', msg, obj }) } }
}

t.test('the loop imports at start and on every slot; windows continue from the cursor; a failure is logged once, then quietly', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const clock = manualTimers(T0)
  const asked: Array<[number, number]> = []
  let answer: () => string = () => JSON.stringify({ jobs: [job(1, 'RUNNING', 0)] })
  const source: SlurmSource = { name: 'fake', jobsJson: async (since, until) => { asked.push([since, until]); return answer() } }
  const { lines, log } = logSink()
  const loop = createSlurmImportLoop({ repo: store.slurm, source, now: clock.now, log, everyMs: 60_000, timers: clock.timers, backfillMs: 86_400_000 })
  await loop.start()
  await new Promise(r => setImmediate(r))
  t.same(asked, [[T0 - 86_400_000, T0]], 'the first import reaches back the backfill')
  answer = () => JSON.stringify({ jobs: [job(1, 'COMPLETED', T0 / 1000 + 30)] })
  await clock.advanceSettling(60_000)
  t.same(asked[1], [T0 - 5 * 60_000, T0 + 60_000], 'then from the cursor less the overlap')
  t.match((await store.slurm.listJobs({ since: 0, until: 8.64e15 })), [{ jobId: 1, state: 'COMPLETED', final: true }])

  answer = () => { throw new SlurmImportError('SLURM_UNREACHABLE', 'sacct failed: Connection refused') }
  await clock.advanceSettling(60_000)
  await clock.advanceSettling(60_000)
  t.same(lines.filter(l => l.level === 'warn').map(l => l.msg), ['slurm import failed; the last imported data is served with its age'], 'warned once per outage')
  t.equal(lines.filter(l => l.msg === 'slurm import still failing').length, 1, 'then at info')
  t.match(await store.slurm.getImportState('fake'), { lastSuccessAt: T0 + 60_000, lastError: /SLURM_UNREACHABLE/ })
  t.equal((await store.slurm.listJobs({ since: 0, until: 8.64e15 })).length, 1, 'the imported job stays')
  await loop.stop()
  const before = asked.length
  await clock.advanceSettling(300_000)
  t.equal(asked.length, before, 'stopped: no more imports')
})

t.test('createSlurmLoop: off with --slurm-interval off, or without a REST URL and without sacct + slurm.conf here', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const { lines, log } = logSink()
  const ctx = (input: Record<string, unknown>) => ({ config: parseControlPlaneConfig(input as never), store, log: { ...log, error () {}, debug () {}, trace () {}, fatal () {} } as never, now: () => T0, registry: null as never })
  const off = createSlurmLoop(ctx({ slurmInterval: 'off' }))
  await off.start(); await off.stop()
  t.same(lines, [], 'off says nothing')
  const none = createSlurmLoop(ctx({ slurmSacct: '/nonexistent/sacct' }))
  await none.start(); await none.stop()
  t.match(lines, [{ level: 'info', msg: /slurm import off/ }])
  t.equal(await store.slurm.latestImportState(), null, 'nothing imported, nothing recorded')
})

t.test('slurmSourceFromConfig: REST when a URL is given; sacct only with a slurm.conf', async t => {
  const dir = t.testdir()
  const sacct = join(dir, 'sacct')
  writeFileSync(sacct, '#!/bin/sh\nexit 0\n')
  chmodSync(sacct, 0o755)
  const conf = join(dir, 'slurm.conf')
  writeFileSync(conf, 'ClusterName=x\n')
  const cfg = (o: Record<string, unknown>) => parseControlPlaneConfig(o as never)
  t.equal(slurmSourceFromConfig(cfg({ slurmRestUrl: 'http://u:p@slurm:6820/', slurmToken: 'a.b.c' }), {})?.name, 'http://slurm:6820', 'named without credentials')
  t.equal(slurmSourceFromConfig(cfg({}), { PATH: dir, SLURM_CONF: conf })?.name, 'sacct')
  t.equal(slurmSourceFromConfig(cfg({}), { PATH: dir, SLURM_CONF: join(dir, 'none.conf') }), null, 'no slurm.conf: no Slurm here')
  t.equal(slurmSourceFromConfig(cfg({}), { PATH: '/nonexistent', SLURM_CONF: conf }), null, 'no sacct on PATH')
  t.equal(slurmSourceFromConfig(cfg({ slurmSacct: sacct }), { PATH: '', SLURM_CONF: conf })?.name, 'sacct', 'an absolute --slurm-sacct')
})
