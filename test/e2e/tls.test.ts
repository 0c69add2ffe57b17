import t from 'tap'
import { join } from 'node:path'
import { ControlPlaneClient } from '../../shared/sdk/control-plane-client.ts'
import { NetworkError } from '../../shared/sdk/errors.ts'
import { spawnAgent } from '../helpers/spawn-agent.ts'
import { spawnControlPlane } from '../helpers/spawn-control-plane.ts'
import { makeTestCerts, skipWithoutOpenssl } from '../helpers/test-certs.ts'
import { pollUntil, runCli } from './run-cli.ts'

// Issue 12 "Transport": both servers speak HTTPS with --tls-cert/--tls-key; the agent trusts
// the control plane's CA (--control-plane-ca) for its uplink and key introspection; the SDK
// (`ca`) and the CLI (--ca-file, or NODE_EXTRA_CA_CERTS) reach both. Real TLS on loopback,
// with throwaway certificates made by openssl for this test.
// Real processes (two servers, several CLI runs): more than tap's default 120 s on a loaded box.
t.setTimeout(300_000)

t.test('control plane and agent over HTTPS, as real processes, trusted through a private CA', { skip: skipWithoutOpenssl }, async t => {
  const dir = t.testdir()
  const certs = makeTestCerts(join(dir, 'pki'))
  const tlsArgs = ['--tls-cert', certs.certPath, '--tls-key', certs.keyPath]

  const cp = await spawnControlPlane(join(dir, 'cp.db'), { args: tlsArgs })
  t.teardown(() => cp.stop())
  t.match(cp.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'the control plane announces an https URL')

  const untrusting = new ControlPlaneClient({ baseUrl: cp.url, apiKey: cp.adminKey, retries: 0 })
  t.teardown(() => untrusting.close())
  await t.rejects(untrusting.listClusters(), NetworkError, 'without the CA the SDK refuses the certificate')
  const client = new ControlPlaneClient({ baseUrl: cp.url, apiKey: cp.adminKey, ca: certs.ca })
  t.teardown(() => client.close())
  const cluster = await client.createCluster({ name: 'reliability', region: 'tls-1' })

  const agent = await spawnAgent({
    controlPlane: cp.url, apiKey: cluster.apiKey, stateDir: join(dir, 'agent'), hostname: 'tls-node',
    args: ['--control-plane-ca', certs.caPath, ...tlsArgs],
  })
  t.teardown(() => agent.stop())
  t.match(agent.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'the agent announces an https URL')

  // Registration and pushes went over TLS to the control plane, trusted through --control-plane-ca,
  // and the agent_url it registered is its https URL with the real port.
  const node = await pollUntil(async () => (await client.listNodes()).find(n => n.hostname === 'tls-node' && n.agentUrl !== null), 60_000)
  t.equal(node?.agentUrl, agent.url, 'agent_url: the https URL, real port')
  const rows = await pollUntil(async () => {
    const r = await client.getGpuStats({ hostname: 'tls-node' })
    return r.length > 0 ? r : undefined
  }, 60_000)
  t.ok(rows !== undefined && rows.length > 0, 'telemetry arrived over TLS')

  const env = { XDG_CONFIG_HOME: join(dir, 'xdg'), GPUFLEET_API_KEY: cp.adminKey, GPUFLEET_URL: undefined, GPUFLEET_NODE: undefined, GPUFLEET_CA_FILE: undefined, NODE_EXTRA_CA_CERTS: undefined }
  const cli = async (args: string[], extra: Record<string, string | undefined> = {}) => {
    const run = runCli(args, { ...env, ...extra })
    const { code } = await run.exited
    return { code, stdout: run.stdout(), stderr: run.stderr() }
  }
  // The operator's admin key is introspected by the agent against the control plane: over TLS too.
  const status = await cli(['gpu', 'status', '--node', agent.url, '--ca-file', certs.caPath, '--json'])
  t.equal(status.code, 0, status.stderr)
  t.equal(JSON.parse(status.stdout).total_gpus, 8, 'gpu status over HTTPS with --ca-file')
  const nodes = await cli(['nodes', '--url', cp.url, '--json'], { GPUFLEET_CA_FILE: certs.caPath })
  t.equal(nodes.code, 0, `GPUFLEET_CA_FILE, the env twin: ${nodes.stderr}`)
  const extra = await cli(['nodes', '--url', cp.url, '--json'], { NODE_EXTRA_CA_CERTS: certs.caPath })
  t.equal(extra.code, 0, `NODE_EXTRA_CA_CERTS works as well: ${extra.stderr}`)
  const untrusted = await cli(['nodes', '--url', cp.url])
  t.equal(untrusted.code, 1, 'an untrusted certificate fails')
  t.match(untrusted.stderr, /does not trust; pass --ca-file/, 'with a hint')
  const wrongCa = await cli(['gpu', 'status', '--node', agent.url, '--ca-file', certs.otherCaPath])
  t.equal(wrongCa.code, 1, 'another CA does not vouch for the agent')
  const noCaFile = await cli(['nodes', '--url', cp.url, '--ca-file', join(dir, 'nope.pem')])
  t.equal(noCaFile.code, 2, 'a missing --ca-file is a usage error')
  t.match(noCaFile.stderr, /--ca-file: cannot read .*nope\.pem \(ENOENT\)/)
})

t.test('TLS and address problems stop both servers at start with exit 2, naming the flag', { skip: skipWithoutOpenssl }, async t => {
  const dir = t.testdir()
  const certs = makeTestCerts(join(dir, 'pki'))
  const missing = join(dir, 'missing.pem')
  const cpBase = ['control-plane', '--db', ':memory:', '--listen', '127.0.0.1:0']
  const agentBase = ['agent', '--simulate', '--listen', '127.0.0.1:0', '--state-dir', join(dir, 'agent')]
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['cp: missing certificate', [...cpBase, '--tls-cert', missing, '--tls-key', certs.keyPath], {}, /--tls-cert: cannot read .*missing\.pem \(ENOENT\)/],
    ['cp: missing key (env twins)', cpBase, { GPUFLEET_TLS_CERT: certs.certPath, GPUFLEET_TLS_KEY: missing }, /--tls-key: cannot read .*missing\.pem/],
    ['cp: key of another certificate', [...cpBase, '--tls-cert', certs.certPath, '--tls-key', certs.otherKeyPath], {}, /--tls-cert\/--tls-key: .* do not make a usable pair/],
    ['cp: certificate without key', [...cpBase, '--tls-cert', certs.certPath], {}, /--tls-key \(GPUFLEET_TLS_KEY\): give both/],
    ['agent: unreadable certificate', [...agentBase, '--tls-cert', dir, '--tls-key', certs.keyPath], {}, /--tls-cert: cannot read .* \(EISDIR\)/],
    ['agent: key without certificate', [...agentBase, '--tls-key', certs.keyPath], {}, /--tls-cert and --tls-key: give both or neither/],
    ['agent: missing CA file', [...agentBase, '--control-plane', 'https://127.0.0.1:1', '--control-plane-ca', missing], {}, /--control-plane-ca: cannot read .*missing\.pem \(ENOENT\)/],
    ['agent: CA for a plain-HTTP control plane', [...agentBase, '--control-plane', 'http://127.0.0.1:1', '--control-plane-ca', certs.caPath], {}, /--control-plane-ca: applies to an https:\/\/ --control-plane only/],
    ['agent: loopback listen, remote control plane', [...agentBase, '--control-plane', 'http://192.0.2.10:8080'], {}, /--listen 127\.0\.0\.1:0 accepts connections from this host only.*--advertise-url/],
    ['agent: loopback --advertise-url, remote control plane', [...agentBase, '--control-plane', 'http://192.0.2.10:8080', '--advertise-url', 'http://localhost:9410'], {}, /--advertise-url: http:\/\/localhost:9410 is a loopback address/],
  ]
  // All at once: each is its own process, and each should stop at start.
  const runs = cases.map(([, args, env]) => runCli(args, { GPUFLEET_TLS_CERT: undefined, GPUFLEET_TLS_KEY: undefined, ...env } as never))
  const exits = await Promise.all(runs.map(r => r.exited))
  cases.forEach(([label, , , message], i) => {
    t.equal(exits[i]?.code, 2, `${label}: exit 2`)
    t.match(runs[i]?.stderr(), message, `${label}: says which flag`)
    t.notMatch(runs[i]?.stderr(), /listening on/, `${label}: nothing listened`)
  })
})
