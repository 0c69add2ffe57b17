import t, { type Test } from 'tap'
import { createServer, type IncomingMessage } from 'node:http'
import { createVmClient, VmError } from '../../../../control-plane/store/vm/create-vm-client.ts'
import { parseTelemetryEngine } from '../../../../control-plane/telemetry-engine.ts'

/** A stand-in for vminsert + vmselect on loopback: records each request, answers `reply`. */
async function fakeVm (t: Test, reply: (req: IncomingMessage, body: string) => [number, string]) {
  const seen: Array<{ method: string, url: string, body: string }> = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body })
      const [status, text] = reply(req, body)
      res.writeHead(status, { 'content-type': 'application/json' }).end(text)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen }
}

const OK = JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { q: 'x' }, values: [[1700000000.123, '4.5'], [1700000060.123, 'NaN']] }] } })

t.test('a cluster: imports go to vminsert\'s prefix, queries to vmselect\'s, with nocache', async t => {
  const vm = await fakeVm(t, req => req.url!.includes('/import') ? [204, ''] : [200, OK])
  const engine = parseTelemetryEngine(`vm=insert=${vm.url}/insert/0/prometheus,select=${vm.url}/select/0/prometheus/`)
  if (!('kind' in engine) || engine.kind !== 'vm') throw new Error('not parsed')
  const client = createVmClient(engine)
  await client.importLines('{"metric":{"__name__":"x"},"values":[1],"timestamps":[1]}\n')
  const series = await client.queryRange('max_over_time(x[1m])', 1_699_999_940_123, 1_700_000_060_123, 60_000)
  t.same(series, [{ metric: { q: 'x' }, points: [[1_700_000_000_123, 4.5]] }], 'epoch ms, NaN left out')
  t.equal(vm.seen[0]!.url, '/insert/0/prometheus/api/v1/import')
  t.equal(vm.seen[1]!.url, '/select/0/prometheus/api/v1/query_range')
  const params = new URLSearchParams(vm.seen[1]!.body)
  t.same(Object.fromEntries(params), { query: 'max_over_time(x[1m])', start: '1699999940.123', end: '1700000060.123', step: '60000ms', nocache: '1' })
})

t.test('errors: 5xx and no answer are VM_UNAVAILABLE (retry), 4xx VM_REJECTED', async t => {
  const vm = await fakeVm(t, req => req.url!.includes('/import') ? [503, 'busy'] : [422, '{"status":"error","error":"bad query"}'])
  const client = createVmClient({ insertUrl: vm.url, selectUrl: vm.url })
  await t.rejects(client.importLines('x\n'), { name: 'VmError', code: 'VM_UNAVAILABLE', message: /503: busy/ })
  await t.rejects(client.query('x', 0), { code: 'VM_REJECTED', message: /422/ })
  const down = createVmClient({ insertUrl: 'http://127.0.0.1:9', selectUrl: 'http://127.0.0.1:9' })
  const err = await down.importLines('x\n').then(() => null, (e: unknown) => e)
  t.ok(err instanceof VmError)
  t.match(err, { code: 'VM_UNAVAILABLE', message: /did not answer/ })
})

t.test('--telemetry spellings', async t => {
  t.same(parseTelemetryEngine('sql'), { kind: 'sql' })
  t.same(parseTelemetryEngine(''), { kind: 'sql' })
  t.same(parseTelemetryEngine('vm=https://vm.example:8428/'), { kind: 'vm', insertUrl: 'https://vm.example:8428', selectUrl: 'https://vm.example:8428' })
  t.same(parseTelemetryEngine('vm=select=http://s:8481/select/0/prometheus,insert=http://i:8480/insert/0/prometheus'),
    { kind: 'vm', insertUrl: 'http://i:8480/insert/0/prometheus', selectUrl: 'http://s:8481/select/0/prometheus' }, 'either order')
  for (const bad of ['vm', 'vm=', 'vm=localhost:8428', 'vm=http://a#x', 'vm=insert=http://a', 'vm=insert=http://a,select=', 'vm=insert=http://a,select=http://b,x=http://c', 'prometheus=http://a']) {
    t.match(parseTelemetryEngine(bad), { error: String }, bad)
  }
})

t.test('credentials in the URL (vmauth) travel as Basic authorization, per side', async t => {
  const vm = await fakeVm(t, req => [200, req.url!.includes('/import') ? '' : OK])
  const heard: Array<string | undefined> = []
  const client = createVmClient({
    insertUrl: vm.url.replace('http://', 'http://writer:s%3Acret@'),
    selectUrl: `${vm.url}/select/0/prometheus`,
    fetch: async (url, init) => { heard.push(new Headers(init?.headers).get('authorization') ?? undefined); return fetch(url, init) },
  })
  await client.importLines('x\n')
  await client.query('x', 0)
  t.same(heard, [`Basic ${Buffer.from('writer:s:cret').toString('base64')}`, undefined])
  t.same(vm.seen.map(r => r.url), ['/api/v1/import', '/select/0/prometheus/api/v1/query'])
})
