import t, { type Test } from 'tap'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createProcessReporter } from '../../../agent/jobs/create-process-reporter.ts'
import { createUpstream } from '../../../agent/uplink/create-upstream.ts'
import { AGENT_PROCESSES_PATH, type GpuProcess, type ProcessReport } from '../../../shared/wire/job-execution.ts'
import { manualTimers } from '../../helpers/manual-timers.ts'

const T0 = Date.UTC(2026, 4, 9)
const GPU = 'GPU-5d8a1e0c-4f0b-2b8a-6b0e-3f6c1a7e9d21'
const proc = (pid: number, mem = 100, job: number | null = null): GpuProcess =>
  ({ gpu_uuid: GPU, pid, process_name: 'python3', used_memory_mib: mem, job_id: job, run: job === null ? null : 1 })

/** A small control plane stand-in on loopback: records each report and answers `status()`. */
async function fakeControlPlane (t: Test) {
  const reports: Array<{ path: string, auth: string | undefined, body: ProcessReport }> = []
  let status = 200
  const server = createServer((req: IncomingMessage, res) => {
    let text = ''
    req.on('data', (d: Buffer) => { text += String(d) })
    req.on('end', () => {
      reports.push({ path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(text) as ProcessReport })
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(status === 200 ? '{"ok":true}' : '{"statusCode":404,"code":"NODE_NOT_FOUND","error":"Not Found","message":"no node"}')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const upstream = createUpstream({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: 'k-ingest', userAgent: 'test' })
  t.teardown(async () => {
    await upstream.close()
    await new Promise<void>(resolve => server.close(() => resolve()))
  })
  return { reports, upstream, answer: (s: number) => { status = s } }
}

/** Waits (real time: the HTTP round trip) until the reporter has its answer to `n` reports in all. */
async function answered (reporter: { stats: () => { reports: number, failures: number } }, n: number): Promise<void> {
  for (let i = 0; i < 600 && reporter.stats().reports + reporter.stats().failures < n; i++) await new Promise(resolve => setTimeout(resolve, 100))
}

t.test('posts on change and at least every 30 s; memory alone is no change', async t => {
  const cp = await fakeControlPlane(t)
  const clock = manualTimers(T0)
  let current: GpuProcess[] | null = null
  const warnings: string[] = []
  const reporter = createProcessReporter({
    upstream: cp.upstream, hostname: 'gpu-01', read: () => current, timers: clock.timers, now: clock.now,
    log: { info () {}, warn (_o: object, msg: string) { warnings.push(msg) } }, backoff: { next: () => 2000, reset () {} },
  })
  t.teardown(() => reporter.stop())
  reporter.start()
  await clock.advanceSettling(0)
  t.equal(cp.reports.length, 0, 'no compute-apps reading yet: nothing sent')

  current = [proc(10, 100, 7)]
  await clock.advanceSettling(5000)
  await answered(reporter, 1)
  t.match(cp.reports[0], { path: AGENT_PROCESSES_PATH, auth: 'Bearer k-ingest', body: { hostname: 'gpu-01', at: new Date(T0 + 5000).toISOString(), processes: [proc(10, 100, 7)] } })

  current = [proc(10, 900, 7)]
  await clock.advanceSettling(5000)
  await clock.advanceSettling(5000)
  t.equal(cp.reports.length, 1, 'memory moved: no report')

  current = [proc(10, 900, 7), proc(11)]
  await clock.advanceSettling(5000)
  await answered(reporter, 2)
  t.same(cp.reports[1]!.body.processes, [proc(10, 900, 7), proc(11)], 'a new process: reported')

  for (let i = 0; i < 5; i++) await clock.advanceSettling(5000)
  t.equal(cp.reports.length, 2, '25 s unchanged')
  await clock.advanceSettling(5000)
  await answered(reporter, 3)
  t.equal(cp.reports.length, 3, 'refreshed after 30 s unchanged')

  current = []
  await clock.advanceSettling(5000)
  await answered(reporter, 4)
  t.same(cp.reports[3]!.body.processes, [], 'the last process went: an empty set is reported')
  t.same(warnings, [])
  t.match(reporter.stats(), { reports: 4, failures: 0, lastError: null })
})

t.test('a refused or failed report is retried after the backoff with the newest set', async t => {
  const cp = await fakeControlPlane(t)
  cp.answer(404)
  const clock = manualTimers(T0)
  let current: GpuProcess[] | null = [proc(1)]
  const warnings: string[] = []
  const reporter = createProcessReporter({
    upstream: cp.upstream, hostname: 'gpu-01', read: () => current, timers: clock.timers, now: clock.now,
    log: { info () {}, warn (_o: object, msg: string) { warnings.push(msg) } }, backoff: { next: () => 2000, reset () {} },
  })
  t.teardown(() => reporter.stop())
  reporter.start()
  await clock.advanceSettling(0)
  await answered(reporter, 1)
  t.match(reporter.stats(), { failures: 1, reports: 0, lastError: /HTTP 404/ })
  t.same(warnings, ['GPU process report failed; retrying with backoff'])
  cp.answer(200)
  current = [proc(1), proc(2)]
  await clock.advanceSettling(2000)
  await answered(reporter, 2)
  t.same(cp.reports[1]!.body.processes, [proc(1), proc(2)])
  t.match(reporter.stats(), { reports: 1, failures: 1, lastError: null })
  await reporter.stop()
  await clock.advanceSettling(60_000)
  t.equal(cp.reports.length, 2, 'stopped: nothing more')
})

t.test('options are checked when built', async t => {
  const upstream = { postJson: async () => ({ kind: 'ok' as const, status: 200 }) }
  const log = { info () {}, warn () {} }
  t.throws(() => createProcessReporter({ upstream, hostname: '', read: () => null, log }), /hostname/)
  t.throws(() => createProcessReporter({ upstream, hostname: 'h', read: () => null, log, checkMs: 0 }), /checkMs/)
})
