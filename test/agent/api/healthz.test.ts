import t from 'tap'
import { createAgentApp } from '../../../agent/api/create-agent-app.ts'
import type { AgentAppDeps } from '../../../agent/api/create-agent-app.ts'
import { SEED_TIME, agentHarness, seedSnapshot, uplinkStats } from './fixtures.ts'

t.test('/healthz: 503 NOT_READY before the first snapshot, 200 ok after', async t => {
  const { app, source } = await agentHarness({ snapshot: null })
  source.healthState = { ...source.healthState, state: 'starting', lastError: 'nvidia-smi: no devices yet' }
  let res = await app.request('/healthz')
  t.equal(res.status, 503)
  t.match(await res.json(), {
    statusCode: 503,
    code: 'NOT_READY',
    error: 'Service Unavailable',
    message: /no GPU snapshot yet/,
    details: { hostname: 'gpu-host-01', collector: { state: 'starting', last_error: 'nvidia-smi: no devices yet' } },
  })

  source.snapshot = seedSnapshot(SEED_TIME)
  source.healthState = { ...source.healthState, state: 'running', lastError: null, lastSnapshotAt: SEED_TIME }
  res = await app.request('/healthz')
  t.equal(res.status, 200)
  t.same(await res.json(), {
    status: 'ok',
    reasons: [],
    hostname: 'gpu-host-01',
    recorded_at: '2025-01-29T12:00:00.000Z',
    data_age_ms: 1000,
    stale_after_ms: 10_000,
    total_gpus: 1,
    missing_gpus: [],
    collector: {
      state: 'running', restarts: 2, parse_errors: 5, last_snapshot_at: '2025-01-29T12:00:00.000Z',
      child_pid: 4242, fields: ['index', 'uuid', 'name'], last_error: null, abandoned_children: 0,
    },
    uplink: {
      registered: true, node_id: 7, spool_bytes: 4096, spool_samples: 16, spool_dropped_samples: 3,
      push_failures: 4, pushed_samples: 1200, rejected_samples: 0, last_push_at: '2025-01-29T12:00:00.000Z', last_error: null,
    },
  })
})

t.test('/healthz: degraded with the uplink\'s reasons while it spools, drops or has rows rejected', async t => {
  const reasons = [
    'uplink spooling: the control plane does not acknowledge pushes (HTTP 502: <html>Bad Gateway</html>); 160 samples kept in the spool',
    'uplink dropping samples: 400 lost so far (spool full or unwritable), the latest at 2025-01-29T12:00:00.000Z',
  ]
  const { app, source } = await agentHarness({ deps: { uplinkStats: () => uplinkStats({ reasons, rejectedSamples: 8 }) } })
  source.healthState = { ...source.healthState, state: 'restarting' }
  const res = await app.request('/healthz')
  t.equal(res.status, 200, 'degraded is still 200: the agent serves')
  t.match(await res.json(), { status: 'degraded', reasons: ['collector restarting', ...reasons], uplink: { rejected_samples: 8 } }, 'one flat list, collector first, then the uplink')

  const healthy = await agentHarness({ deps: { uplinkStats: () => uplinkStats({ reasons: [] }) } })
  t.match(await (await healthy.app.request('/healthz')).json(), { status: 'ok', reasons: [] })
})

t.test('/healthz: degraded (still 200) when stale or the collector is restarting', async t => {
  const { app, clock, source } = await agentHarness()
  clock.set(SEED_TIME + 11_000)
  source.healthState = { ...source.healthState, state: 'restarting' }
  const res = await app.request('/healthz')
  t.equal(res.status, 200)
  t.match(await res.json(), { status: 'degraded', reasons: ['GPU data stale: newest snapshot is 11.0 s old', 'collector restarting'], data_age_ms: 11_000 })
})

t.test('unknown routes are 404 in the one error shape; /healthz needs no key', async t => {
  const { app } = await agentHarness()
  const res = await app.request('/v2/nothing')
  t.equal(res.status, 404)
  t.same(await res.json(), { statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: 'no route for GET /v2/nothing' })
  // Under /v1/gpu/ the key is checked first, so unauthenticated callers learn nothing about routes.
  t.equal((await app.request('/v1/gpu/nothing')).status, 401)
})

t.test('createAgentApp validates its deps when built', async t => {
  const { source, purge } = await agentHarness()
  const good = {
    source, purge, auth: { check: async () => ({ verdict: 'ok' as const, via: 'cache' as const, keyId: null }) },
    uplinkStats: () => { throw new Error('unused') }, hostname: 'h', staleAfterMs: 10_000, log: { info () {}, warn () {}, error () {} },
    processMetrics: false,
  } satisfies AgentAppDeps
  t.ok(createAgentApp(good))
  t.throws(() => createAgentApp({ ...good, staleAfterMs: 0 }), /staleAfterMs must be a positive integer/)
  t.throws(() => createAgentApp({ ...good, hostname: '' }), /hostname must be a non-empty string/)
  t.throws(() => createAgentApp({ ...good, purge: undefined as never }), /purge must be a PurgeService/)
  t.throws(() => createAgentApp({ ...good, metricsToken: 'short' }), /token must be a string of at least 16 characters/)
})
