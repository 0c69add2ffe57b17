import t from 'tap'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { startControlPlane } from '../../../control-plane/start-control-plane.ts'
import { parseControlPlaneConfig } from '../../../control-plane/config.ts'
import { createAnalyticsRouter, ANALYTICS_BODY_LIMITS } from '../../../control-plane/analytics/create-analytics-router.ts'
import { mintKey } from './analytics-harness.ts'
import { schedulingRows } from './insert-scheduling-rows.ts'

// Seed 001's examples, verbatim but for the URL and key (see test/fixtures/seed-001/README.md).
const SCRIPT = readFileSync(new URL('../../fixtures/seed-001/curl-examples.sh', import.meta.url), 'utf8')
const NOW = Date.UTC(2026, 5, 20)
const H = 3_600_000
const iso = (ms: number) => new Date(ms).toISOString()

/** The script as [exports, ...commands]: one command per curl (with its continuation lines) or for…done loop. */
function splitCommands (script: string): { preamble: string, commands: string[] } {
  const exports: string[] = []
  const commands: string[] = []
  let current: string[] = []
  let inLoop = false
  for (const line of script.split('\n')) {
    if (current.length === 0 && (line.startsWith('#') || line.trim() === '')) continue
    if (current.length === 0 && line.startsWith('export ')) {
      exports.push(line)
      continue
    }
    current.push(line)
    if (line.startsWith('for ')) inLoop = true
    if (inLoop ? line === 'done' : !line.endsWith('\\')) {
      commands.push(current.join('\n'))
      current = []
      inLoop = false
    }
  }
  if (current.length > 0) throw new Error(`unterminated command: ${current.join('\n')}`)
  return { preamble: exports.join('\n'), commands }
}

function bash (script: string, env: Record<string, string>): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise(resolve => {
    // pipefail: a curl that cannot connect must fail the command, not feed jq nothing. --norc:
    // bash reads ~/.bashrc when stdin is a socket (as Node's pipes are), which is not the seed's shell.
    execFile('bash', ['--norc', '--noprofile', '-o', 'pipefail', '-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

/** jq's output: JSON documents, pretty-printed one after another. */
function jsonDocuments (text: string): unknown[] {
  const docs: unknown[] = []
  let rest = text.trim()
  while (rest !== '') {
    let end = rest.length
    for (;;) {
      try {
        docs.push(JSON.parse(rest.slice(0, end)))
        break
      } catch {
        end = rest.lastIndexOf('\n', end - 1)
        if (end <= 0) throw new Error(`not JSON: ${rest.slice(0, 200)}`)
      }
    }
    rest = rest.slice(end).trim()
  }
  return docs
}

t.test('seed 001 curl + jq examples run verbatim against a real control plane', async t => {
  const dir = t.testdir()
  const db = join(dir, 'gpufleet.db')
  // The endpoint is deployed inside the seed's window; everything is queried on 06-20.
  let clock = Date.UTC(2026, 5, 1, 0, 30)
  const cp = await startControlPlane(parseControlPlaneConfig({ listen: '127.0.0.1:0', db }), {
    log: pino({ level: 'silent' }),
    now: () => clock,
    routers: [{ path: '/', router: ctx => createAnalyticsRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log }), bodyLimits: ANALYTICS_BODY_LIMITS }],
  })
  t.teardown(() => cp.close())
  const admin = await mintKey(cp.store, ['admin'])
  const reader = await mintKey(cp.store, ['read'])
  const ingest = await mintKey(cp.store, ['ingest'])

  // Something in each list: a node with GPUs, GPU jobs of each kind, inference records, an endpoint, aliases.
  const T = Date.UTC(2026, 5, 1)
  const c = (await cp.store.fleet.createCluster({ name: 'kl-prod', region: 'ap-southeast-1' }, T))!
  const node = (await cp.store.fleet.upsertNode({ clusterId: c.id, hostname: 'gpu-node-01' }, T + H)).node
  const gpus = await cp.store.fleet.registerGpus(node.id, [{ gpuIndex: 0, model: 'NVIDIA H100 80GB HBM3' }, { gpuIndex: 1, model: 'NVIDIA H100 80GB HBM3' }], T + H)
  const rows = schedulingRows(db)
  t.teardown(() => rows.close())
  for (const [i, kind] of (['benchmark', 'training', 'compute'] as const).entries()) {
    const start = T + (i + 2) * H
    const job = rows.job({ clusterId: c.id, kind, name: `${kind}-1`, gpuType: 'H100', nodeId: node.id, submittedAt: start, startedAt: start, endedAt: start + H })
    rows.jobGpu({ jobId: job, gpuId: gpus[i % 2]!.id, gpuModel: 'NVIDIA H100 80GB HBM3', assignedAt: start, releasedAt: start + H })
    rows.jobEvent({ jobId: job, kind: 'gpu_assigned', at: start, gpuId: gpus[i % 2]!.id })
    rows.jobEvent({ jobId: job, kind: 'started', at: start })
  }
  const post = (path: string, method: string, body: unknown) => fetch(`${cp.url}${path}`, {
    method, headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  })
  t.equal((await post('/v1/endpoints/llama-chat', 'PUT', { model: 'llama-3-8b', replicas: 2, source: 'gpu-node-01' })).status, 201)
  clock = NOW
  const records = Array.from({ length: 40 }, (_, i) => ({
    id: `req-${i}`, endpoint: 'llama-chat', model: 'llama-3-8b', source: 'gpu-node-01', tokens_in: 100, tokens_out: 20, latency_ms: 80, status: 'ok', at: iso(T + i * 8 * H),
  }))
  t.match(await (await post('/v1/inference/records', 'POST', { records })).json(), { accepted: 40 })
  const aliases = await fetch(`${cp.url}/v1/global-env/ANALYTICS_SOURCE_ALIASES`, {
    method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ value: '{"gpu-node-01":"KL rack 1"}' }),
  })
  t.equal(aliases.status, 200)

  const { preamble, commands } = splitCommands(SCRIPT)
  t.equal(commands.length, 6, 'six commands in the seed')
  const run = async (command: string, token: string) => bash(`${preamble}\n${command}`, { TEST_GW: cp.url, TEST_TOKEN: token })

  const out: unknown[][] = []
  for (const command of commands) {
    const res = await run(command, admin)
    t.equal(res.code, 0, `exit 0: ${command.split('\n')[0]}`)
    t.equal(res.stderr, '', 'nothing on stderr')
    out.push(jsonDocuments(res.stdout.split('\n').filter(l => !/^== \w+ ==$/.test(l)).join('\n')))
  }
  const [kinds, benchmarks, loop, summary, events, env] = out
  t.match(kinds, [{ kinds: [{ name: 'benchmarks' }, { name: 'training' }, { name: 'compute' }, { name: 'inference' }, { name: 'endpoints' }] }])
  t.same(benchmarks, [{ count: 1, has_more: false }])
  t.same(loop, [{ count: 1, has_more: false }, { count: 1, has_more: false }, { count: 40, has_more: false }, { count: 1, has_more: false }],
    'training, compute, inference, endpoints')
  const days = summary![0] as any[]
  t.equal(days.length, 3, '.rows[:3]')
  t.same(days.map(d => d.date), ['2026-06-01', '2026-06-02', '2026-06-03'], 'Asia/Kuala_Lumpur days')
  t.same(days.map(d => d.inference_requests), [2, 3, 3], 'KL is +08:00: 00:00Z and 08:00Z fall on 06-01, then three a day')
  t.match(days[0].by_source, [{ source: 'gpu-node-01', label: 'KL rack 1' }])
  t.match(events, [{ count: 7, sample: [{ kind: 'agent_registered', hostname: 'gpu-node-01' }, { kind: 'gpu_assigned' }] }])
  t.same(env, [{ key: 'ANALYTICS_SOURCE_ALIASES', value: '{"gpu-node-01":"KL rack 1"}', updated_at: iso(NOW) }])

  // A non-admin key: 403 everywhere, and the seed's jq filters read an empty result.
  const empty = [[{ statusCode: 403, kinds: [] }], [{ count: 0, has_more: false }], Array(4).fill({ count: 0, has_more: false }), [[]], [{ count: 0, sample: [] }]]
  for (const [i, command] of commands.slice(0, 5).entries()) {
    const res = await run(command, reader)
    t.equal(res.code, 0, `non-admin, exit 0: ${command.split('\n')[0]}`)
    t.match(jsonDocuments(res.stdout.split('\n').filter(l => !/^== \w+ ==$/.test(l)).join('\n')), empty[i]!)
  }
  // Issue 16: /v1/global-env answers a non-admin 403 with [], so the seed's `jq '.[] | select(…)'` prints nothing and exits 0.
  const envLine = await run(commands[5]!, reader)
  t.equal(envLine.code, 0, 'non-admin: the global-env jq line exits 0')
  t.equal(envLine.stderr, '', 'no "Cannot index number" from jq')
  t.equal(envLine.stdout.trim(), '', 'and prints nothing')
  for (const path of ['/v1/history', '/v1/history/benchmarks', '/v1/history/inference', '/v1/history/summary', '/admin/worker-events', '/v1/global-env']) {
    const res = await bash(`curl -s -o /dev/null -w '%{http_code}' "$TEST_GW${path}" -H "Authorization: Bearer $TEST_TOKEN"`, { TEST_GW: cp.url, TEST_TOKEN: reader })
    t.equal(res.stdout, '403', `non-admin ${path}`)
  }
})
