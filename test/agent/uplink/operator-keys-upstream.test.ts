import t, { type Test } from 'tap'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import { createUplink } from '../../../agent/uplink/create-uplink.ts'
import type { UplinkOptions } from '../../../agent/uplink/create-uplink.ts'
import { createOperatorAuth } from '../../../agent/api/operator-auth.ts'
import { parseControlPlaneConfig } from '../../../control-plane/config.ts'
import { productParts } from '../../../control-plane/product-parts.ts'
import { startControlPlane } from '../../../control-plane/start-control-plane.ts'
import { ControlPlaneClient } from '../../../shared/sdk/control-plane-client.ts'
import { createFakeClock } from './fake-clock.ts'
import { createFakeGpuSource } from './fake-gpu-source.ts'
import { until } from './until.ts'

/**
 * The agent's uplink against a real control plane on loopback (every router, in-memory
 * store): the operator-token key it pins from the registration answer, and the revocation
 * epoch each push acknowledgement carries into the operator API's verdict cache.
 */
async function startCp (t: Test) {
  const cp = await startControlPlane(parseControlPlaneConfig({ listen: '127.0.0.1:0', db: ':memory:' }), { log: pino({ level: 'silent' }), ...productParts() })
  t.teardown(() => cp.close())
  const root = new ControlPlaneClient({ baseUrl: cp.url, apiKey: cp.bootstrapKey! })
  t.teardown(() => root.close())
  const cluster = await root.createCluster({ name: 'lab' })
  return { url: cp.url, root, agentKey: cluster.apiKey }
}

async function startUplink (t: Test, cp: { url: string, agentKey: string }, stateDir: string, extra: Partial<UplinkOptions> = {}) {
  const clock = createFakeClock(Date.now())
  const source = createFakeGpuSource(2)
  const lines: string[] = []
  const uplink = createUplink({
    controlPlaneUrl: cp.url,
    apiKey: cp.agentKey,
    cluster: 'lab',
    hostname: 'edge-01',
    stateDir,
    spoolMaxBytes: 1024 * 1024,
    source,
    log: pino({ level: 'debug', base: null }, { write: (s: string) => { lines.push(s) } }),
    agentVersion: '0.1.0-test',
    hostFacts: async () => ({ hostname: 'edge-01', ipAddress: null, cpuCores: null, ramGb: null }),
    now: clock.now,
    timers: clock.timers,
    ...extra,
  })
  t.teardown(() => uplink.stop())
  source.emit(clock.now())
  await uplink.start()
  // One collector tick: fake time moves a second (firing due timers), a snapshot goes out.
  const tick = async () => { clock.advance(1000); source.emit(clock.now()); await new Promise(resolve => setImmediate(resolve)) }
  return { uplink, tick, logs: () => lines.map(l => JSON.parse(l) as { level: number, msg: string, [k: string]: unknown }) }
}

t.test('a revoked superadmin key stops working on the agent with the next acknowledgements, not after the 60 s cache', async t => {
  const cp = await startCp(t)
  const operator = await cp.root.createApiKey({ label: 'alice', permissions: ['superadmin'] })
  // The agent's clock stands still: the 60 s verdict cache never expires by itself here.
  const frozen = Date.now()
  const auth = createOperatorAuth({ controlPlaneUrl: cp.url, agentApiKey: cp.agentKey, cacheTtlMs: 60_000, now: () => frozen })
  const { tick } = await startUplink(t, cp, join(t.testdir(), 'state'), { onRevocationEpoch: epoch => auth.revocationEpoch!(epoch) })
  await until('the first acknowledgement carries the epoch', () => auth.currentEpoch!() === 0, tick, 60_000)

  t.same(await auth.check(operator.key, 'status'), { verdict: 'ok', via: 'control-plane', keyId: operator.id })
  t.same(await auth.check(operator.key, 'status'), { verdict: 'ok', via: 'cache', keyId: operator.id })
  await cp.root.revokeApiKey(operator.id)
  t.equal((await auth.check(operator.key, 'status')).via, 'cache', 'until the agent hears of it, its cache answers')

  await until('an acknowledgement carries the new epoch', () => auth.currentEpoch!() === 1, tick, 60_000)
  t.same(await auth.check(operator.key, 'status'), { verdict: 'unauthorized', via: 'control-plane', keyId: null }, 'asked again: revoked')
  const bob = await cp.root.createApiKey({ label: 'bob', permissions: ['superadmin'] })
  t.same(await auth.check(bob.key, 'status'), { verdict: 'ok', via: 'control-plane', keyId: bob.id }, 'other keys keep working')
})

t.test('the registration answer\'s key is pinned, and a different one later is refused unless named by --repin-operator-key', async t => {
  const stateDir = join(t.testdir(), 'state')
  const first = await startCp(t)
  const kid = async (cp: { root: ControlPlaneClient }) => {
    const nodes = await cp.root.listNodes()
    return (await cp.root.mintOperatorToken(nodes[0]!.id)).kid
  }
  const one = await startUplink(t, first, stateDir)
  await until('registered', () => one.logs().some(l => l.msg.includes('pinned the control plane')), one.tick, 60_000)
  const firstKid = await kid(first)
  t.same(one.uplink.state()!.operatorTokenKeys.map(k => k.kid), [firstKid], 'pinned at the first registration')
  t.match(one.logs().find(l => l.msg.includes('pinned')), { level: 30, kid: firstKid })
  await one.uplink.stop()
  const onDisk = JSON.parse(readFileSync(join(stateDir, 'agent-state.json'), 'utf8'))
  t.match(onDisk.operatorTokenKeys, [{ kid: firstKid, kty: 'OKP', crv: 'Ed25519', x: String }], 'in the state file')
  t.notOk(JSON.stringify(onDisk).includes('"d"'), 'public half only')

  // The control plane is rebuilt on a new store: a new key pair, offered to the same agent.
  const second = await startCp(t)
  const two = await startUplink(t, second, stateDir)
  await until('registered with the new control plane', () => two.logs().some(l => l.msg.includes('different operator-token key')), two.tick, 60_000)
  const secondKid = await kid(second)
  t.not(secondKid, firstKid)
  t.same(two.uplink.state()!.operatorTokenKeys.map(k => k.kid), [firstKid], 'the pinned key is kept')
  for (let i = 0; i < 3; i++) await two.tick()
  t.equal(two.logs().filter(l => l.msg.includes('different operator-token key')).length, 1, 'said once, not every heartbeat')
  t.match(two.logs().find(l => l.msg.includes('different operator-token key')), { level: 50, offered: secondKid, pinned: [firstKid] })
  await two.uplink.stop()

  const wrong = await startUplink(t, second, stateDir, { repinOperatorKey: firstKid.replace(/^./, c => c === 'A' ? 'B' : 'A') })
  await until('registered', () => wrong.logs().some(l => l.msg.includes('different operator-token key')), wrong.tick, 60_000)
  t.same(wrong.uplink.state()!.operatorTokenKeys.map(k => k.kid), [firstKid], 'a repin naming another kid changes nothing')
  await wrong.uplink.stop()

  const repin = await startUplink(t, second, stateDir, { repinOperatorKey: secondKid })
  await until('re-pinned', () => repin.logs().some(l => l.msg.includes('replaced the pinned')), repin.tick, 60_000)
  t.same(repin.uplink.state()!.operatorTokenKeys.map(k => k.kid), [secondKid])
  t.match(repin.logs().find(l => l.msg.includes('replaced the pinned')), { level: 40, kid: secondKid, replaced: [firstKid] })
})
