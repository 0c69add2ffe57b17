import t from 'tap'
import { ControlPlaneClient } from '../../shared/sdk/control-plane-client.ts'
import { ApiError } from '../../shared/sdk/errors.ts'
import { startLiveFleet } from './live-fleet.ts'

t.test('the control plane client against the real control plane', async t => {
  const fleet = await startLiveFleet(t)
  const { client } = fleet

  t.test('API keys: create (shown once), list, revoke; a revoked key gets a typed 401', async t => {
    const created = await client.createApiKey({ label: 'ci', permissions: ['read'] })
    t.match(created, { id: Number, key: /^gfk_/, keyPrefix: String, permissions: ['read'], tenantId: null })
    const listed = await client.listApiKeys()
    const row = listed.find(k => k.id === created.id)
    t.match(row, { label: 'ci', keyPrefix: created.keyPrefix, lastUsedAt: null, revokedAt: null })
    t.notOk(JSON.stringify(listed).includes(created.key), 'the raw key is never listed')
    const reader = new ControlPlaneClient({ baseUrl: fleet.cpUrl, apiKey: created.key })
    t.teardown(() => reader.close())
    t.equal((await reader.listClusters()).length, 1)
    t.match(await reader.createTenant({ name: 'nope', gpuQuota: 1 }).catch(e => e), { name: 'ApiError', statusCode: 403, code: 'FORBIDDEN' }, 'a read key cannot write')
    t.match(await client.revokeApiKey(created.id), { id: created.id, revokedAt: String })
    const err = await reader.listClusters().catch(e => e)
    t.ok(err instanceof ApiError)
    t.match(err, { statusCode: 401, code: 'UNAUTHORIZED' })
  })

  t.test('fleet, tenants, jobs with pending reasons, billing, alerts, regions', async t => {
    const clusters = await client.listClusters()
    t.match(clusters, [{ id: fleet.clusterId, name: 'lab', region: 'yto-01', nodeCount: 0, gpuCount: 0 }])
    const node = await client.registerNode({ clusterId: fleet.clusterId, hostname: 'gpu-01', totalGpus: 2 })
    t.match(node, { hostname: 'gpu-01', clusterName: 'lab', created: true })
    await client.registerGpus({ nodeId: node.id, gpus: [{ gpuIndex: 0, model: 'NVIDIA H100 80GB HBM3', vramMb: 81920 }] })
    const nodes = await client.listNodes()
    t.match(nodes, [{ hostname: 'gpu-01', clusterName: 'lab', gpus: [{ gpuIndex: 0, model: 'NVIDIA H100 80GB HBM3' }] }])

    const tenant = await client.createTenant({ name: 'Acme', gpuQuota: 1 })
    t.match(tenant, { name: 'Acme', gpuQuota: 1, gpusInUse: 0, planTier: String })
    const big = await client.submitJob({ clusterId: fleet.clusterId, name: 'too-big', gpuCount: 4, tenantId: tenant.id })
    t.match(big, { status: 'blocked', pendingReason: 'NEVER_FITS_QUOTA', gpuCount: 4 })
    const detail = await client.getJob(big.id)
    t.match(detail, { id: big.id, pendingReason: 'NEVER_FITS_QUOTA', gpus: [], events: Array })
    t.match(await client.cancelJob(big.id), { status: 'cancelled', pendingReason: null })
    t.match(await client.releaseJob(big.id).catch(e => e), { statusCode: 409, code: String }, 'an ended job never restarts')
    t.match(await client.getJob(999_999).catch(e => e), { statusCode: 404, code: String })
    t.match(await client.submitJob({ clusterId: fleet.clusterId, name: '', gpuCount: 1 }).catch(e => e), { statusCode: 400, code: 'VALIDATION_FAILED', details: Object })

    for (let i = 0; i < 5; i++) await client.submitJob({ clusterId: fleet.clusterId, name: `j${i}`, gpuCount: 8 })
    const seen: string[] = []
    for await (const job of client.iterateJobs({ limit: 2 })) seen.push(job.name)
    t.equal(seen.length, 6, 'the page iterator walks every page of jobs')
    t.same(new Set(seen), new Set(['too-big', 'j0', 'j1', 'j2', 'j3', 'j4']))

    t.match(await client.listRates(), Array)
    t.match(await client.setRate('H100', { pricePerHour: 4.5 }), { gpuType: 'H100', pricePerHour: 4.5 })
    t.match(await client.createInvoice(tenant.id, { days: 1 }), { created: true, invoice: { tenantId: tenant.id, status: 'pending' } })
    t.match(await client.listInvoices(), [{ tenantName: 'Acme' }])
    t.match(await client.getTenantUsage(tenant.id, { days: 1 }), { tenantId: tenant.id, byDay: Array })

    const rules = await client.listAlertRules()
    t.same(rules.map(r => r.ruleType), ['idle_gpu', 'quota_breach', 'health_degraded', 'unallocated_gpu_use'])
    t.match(await client.updateAlertRule(rules[0]?.id ?? 0, { enabled: false }), { enabled: false })
    t.match(await client.listAlertEvents({ limit: 5 }), Array)

    t.match(await client.getRegions(), { regions: [{ region: 'yto-01', healthy: false, reasons: Array }] })
    const waits: number[] = []
    const patient = new ControlPlaneClient({ baseUrl: fleet.cpUrl, apiKey: fleet.rootKey, sleep: async ms => { waits.push(ms) } })
    t.teardown(() => patient.close())
    t.match(await patient.route().catch(e => e), { statusCode: 503, code: 'NO_HEALTHY_REGION', details: Object }, 'nothing eligible: a typed 503')
    t.same(waits, [250, 500, 1000], 'after three retries (a GET; 503 may pass)')
    t.match(await client.getKpis(), Object)
    t.match(await client.getPowerHistory({ days: 1, bucketMinutes: 60 }), { days: 1, bucketMinutes: 60, points: Array })
    t.match(await client.getGpuStats({ clusterId: fleet.clusterId }), Array)
  })

  t.test('node lifecycle and alert silence: drain, resume, delete (409 while a job runs), silence', async t => {
    const node = await client.registerNode({ clusterId: fleet.clusterId, hostname: 'gpu-life', totalGpus: 1 })
    t.match(await client.drainNode(node.id), { id: node.id, drainedAt: String })
    t.match((await client.listNodes()).find(n => n.id === node.id), { drainedAt: String })
    t.match(await client.resumeNode(node.id), { id: node.id, drainedAt: null })
    t.match(await client.drainNode(999_999).catch(e => e), { name: 'ApiError', statusCode: 404, code: 'NODE_NOT_FOUND' })
    t.match(await client.getGpuHistory(node.id, { range: '1h' }), { nodeId: node.id, range: '1h', stepSeconds: 60, gpus: Array })
    t.match(await client.getGpuHistory(node.id, { gpu: 7 }).catch(e => e), { name: 'ApiError', statusCode: 404, code: 'GPU_NOT_FOUND' })
    const deleted = await client.deleteNode(node.id)
    t.match(deleted, { id: node.id, hostname: 'gpu-life', deletedGpuIds: [], resolvedAlertEventIds: [] })
    t.notOk((await client.listNodes()).some(n => n.id === node.id))
    t.match(await client.silenceAlertEvent(999_999, { minutes: 5 }).catch(e => e), { statusCode: 404, code: 'ALERT_EVENT_NOT_FOUND' })
    t.match(await client.silenceAlertEvent(1, {}).catch(e => e), { statusCode: 400, code: 'VALIDATION_FAILED' })
  })

  t.test('Prometheus targets: http_sd groups as on the wire (no key case-converted), narrowed by cluster', async t => {
    await client.registerNode({ clusterId: fleet.clusterId, hostname: 'gpu-scrape', totalGpus: 1, agentUrl: 'https://gpu-scrape.example.internal:9443' })
    const groups = await client.getPrometheusTargets()
    t.same(groups.find(g => g.labels.hostname === 'gpu-scrape'), {
      targets: ['gpu-scrape.example.internal:9443'],
      labels: { cluster: 'lab', region: 'yto-01', hostname: 'gpu-scrape', __scheme__: 'https', __metrics_path__: '/metrics' },
    })
    t.same(await client.getPrometheusTargets({ cluster: 'lab' }), groups, 'the one cluster')
    t.match(await client.getPrometheusTargets({ cluster: 'nope' }).catch(e => e), { name: 'ApiError', statusCode: 404, code: 'CLUSTER_NOT_FOUND' })
    t.match(await client.getPrometheusTargets({ cluster: '' }).catch(e => e), { statusCode: 400, code: 'VALIDATION_FAILED' })
  })

  t.test('analytics: history pages walked by has_more, summary, worker events, global env', async t => {
    const at = new Date(Date.now() - 3_600_000).toISOString()
    const records = Array.from({ length: 7 }, (_, i) => ({ id: `req-${i}`, endpoint: 'chat', model: 'llama', tokensIn: 10, tokensOut: 20, latencyMs: 5, status: 'ok', at }))
    t.match(await client.ingestInferenceRecords(records, { retry: true }), Object)
    const first = await client.getHistory('inference', { limit: 3 })
    t.equal(first.jobs.length, 3)
    t.equal(first.hasMore, true)
    const ids: string[] = []
    for await (const r of client.iterateHistory('inference', { limit: 3, order: 'asc' })) ids.push(String(r.id))
    t.equal(ids.length, 7, 'three pages of 3, 3, 1')
    t.equal(new Set(ids).size, 7, 'no record twice')
    t.match(await client.getHistorySummary({ tz: 'UTC' }), { tz: 'UTC', rows: Array })
    t.match(await client.getWorkerEvents({ limit: 10 }), { events: Array })
    t.match(await client.setGlobalEnv('ANALYTICS_SOURCE_ALIASES', { 'gpu_node_01': 'Rack A' }), { key: 'ANALYTICS_SOURCE_ALIASES' })
    const env = await client.getGlobalEnv()
    t.same(JSON.parse(env.find(e => e.key === 'ANALYTICS_SOURCE_ALIASES')?.value ?? '{}'), { 'gpu_node_01': 'Rack A' }, 'alias keys are data: not case-converted')
  })
})
