import t from 'tap'
import { startVictoriaMetrics, victoriaMetricsBinary, VM_MISSING } from '../setup/victoria-metrics.ts'
import { pollUntil, runCli } from './run-cli.ts'

t.test('gpufleet up --telemetry: documented; a bad engine is a usage error naming the flag (flag or env), never echoing a URL, before anything starts', async t => {
  const help = runCli(['up', '--help'])
  await help.exited
  t.match(help.stdout(), /--telemetry <engine>/)
  const runs = [
    runCli(['up', '--data-dir', t.testdir(), '--port', '0', '--agent-port', '0', '--telemetry', 'vm=ftp://user:s3cret@victoria:8428']),
    runCli(['up', '--data-dir', t.testdir(), '--port', '0', '--agent-port', '0', '--telemetry', 'influx']),
    runCli(['up', '--data-dir', t.testdir(), '--port', '0', '--agent-port', '0', '--telemetry', 'vm=insert=http://a:8480']),
    runCli(['up', '--data-dir', t.testdir(), '--port', '0', '--agent-port', '0'], { GPUFLEET_TELEMETRY: 'vm=' }),
  ]
  for (const run of runs) {
    t.equal((await run.exited).code, 2, 'exit 2')
    t.match(run.stderr(), /gpufleet up: [\s\S]*--telemetry \(GPUFLEET_TELEMETRY\): expected sql, vm=http:\/\/host:8428 or vm=insert=URL,select=URL/)
    t.notMatch(run.stderr(), /s3cret/, 'the credentials are not echoed')
    t.notMatch(run.stdout(), /gpufleet is up/)
  }
})

t.test('gpufleet up --telemetry vm=…: the local agent\'s samples land in VictoriaMetrics', { skip: victoriaMetricsBinary() === null ? VM_MISSING : false }, async t => {
  const vm = await startVictoriaMetrics()
  t.teardown(() => vm.close())
  const up = runCli(['up', '--data-dir', t.testdir(), '--port', '0', '--agent-port', '0', '--telemetry', `vm=${vm.url}`])
  t.teardown(() => { up.child.kill('SIGKILL') })
  const [, cpUrl] = await up.waitFor(/control plane\s+(http:\/\/127\.0\.0\.1:\d+)/)
  const [key] = await up.waitFor(/gfk_[0-9a-f]{64}/)

  // The simulator's 8 GPUs, as series in VictoriaMetrics (the agent pushes every second).
  const gpus = await pollUntil(async () => {
    const res = await fetch(`${vm.url}/api/v1/series?match[]=gpufleet_gpu_sample`)
    const body = await res.json() as { data: Array<Record<string, string>> }
    return body.data.length === 8 ? body.data : undefined
  }, 60_000)
  t.same(gpus?.map(s => Number(s.gpu)).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7], 'a series per simulated GPU')
  const rows = await pollUntil(async () => {
    const body = await (await fetch(`${cpUrl}/api/gpu-stats`, { headers: { authorization: `Bearer ${key}` } })).json() as unknown[]
    return body.length === 8 ? body : undefined
  }, 60_000)
  t.ok(rows, 'GET /api/gpu-stats answers from VictoriaMetrics')

  up.child.kill('SIGTERM')
  t.equal((await up.exited).code, 0, 'SIGTERM stops cleanly')
})
