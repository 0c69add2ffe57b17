import type { Camel } from './camel-case.ts'
import { AgentClient } from './agent-client.ts'
import { InvalidArgumentError, NodeLookupError } from './errors.ts'
import { createTransport, type ClientOptions, type RequestOptions, type Transport } from './http-transport.ts'
import { operatorTokenPath, type OperatorAction } from '../wire/operator-token.ts'
import { paginate } from './paginate.ts'
import { jobLogsPath, LOG_TRUNCATED_HEADER, MAX_LOG_TAIL_LINES } from '../wire/job-logs.ts'
import type * as T from './control-plane-types.ts'

/** Per call: opt a POST/PUT/PATCH/DELETE into retries (only where repeating it is harmless). */
export interface CallOptions { retry?: boolean, timeoutMs?: number }

/** What an operator token allows: actions (default all), lifetime (default and max 300 s), node or whole cluster. */
export interface OperatorTokenInput { actions?: OperatorAction[], ttlS?: number, scope?: 'node' | 'cluster' }

/** operatorAgent(): the token's terms plus the agent client's own options (timeouts, retries). */
export type OperatorAgentOptions = OperatorTokenInput & Omit<ClientOptions, 'baseUrl' | 'apiKey'>

const id = (value: number | string): string => encodeURIComponent(String(value))

/**
 * Typed client for the control plane API (seeds 000, 001, 003 and the routing endpoints).
 * camelCase in, camelCase out; snake_case on the wire. Every method throws a GpufleetError
 * (ApiError with the server's code and status, NetworkError, TimeoutError, ResponseError).
 */
export class ControlPlaneClient {
  readonly #http: Transport

  constructor (options: ClientOptions) {
    this.#http = createTransport(options)
  }

  /** Any route, for what the methods below do not cover yet. GETs retry; others only with `retry`. */
  request<R> (method: string, path: string, options?: RequestOptions): Promise<Camel<R>> {
    return this.#http.request<R>(method, path, options)
  }

  close (): Promise<void> {
    return this.#http.close()
  }

  // API keys (seed 003): the raw key is in the create answer only.
  createApiKey (input: T.CreateApiKeyInput, o: CallOptions = {}): Promise<T.CreatedApiKey> { return this.#send('POST', '/api/api-keys', input, o) }
  listApiKeys (): Promise<T.ApiKey[]> { return this.#get('/api/api-keys') }
  revokeApiKey (keyId: number, o: CallOptions = {}): Promise<T.ApiKey> { return this.#send('DELETE', `/api/api-keys/${id(keyId)}`, undefined, o) }

  // Operator tokens: the superadmin key stays here; the agent gets a token for one node.
  /** Mints a short-lived token for one node's agent (superadmin key). Not retried: each call is a new token. */
  async mintOperatorToken (nodeId: number, input: OperatorTokenInput = {}, o: CallOptions = {}): Promise<T.OperatorToken> {
    if (!Number.isSafeInteger(nodeId) || nodeId < 1) throw new InvalidArgumentError(`nodeId must be a positive integer, got ${String(nodeId)}`)
    return this.#send('POST', operatorTokenPath(nodeId), input, o)
  }

  /** The node with this hostname (exact), from the cluster listings. */
  async findNode (hostname: string): Promise<Awaited<ReturnType<ControlPlaneClient['listNodes']>>[number]> {
    const node = (await this.listNodes()).find(n => n.hostname === hostname)
    if (node === undefined) throw new NodeLookupError(NodeLookupError.NOT_FOUND, `no node with hostname ${JSON.stringify(hostname)} is registered with the control plane`)
    return node
  }

  /**
   * An AgentClient for one node (hostname or node id) that carries a fresh operator token
   * instead of this client's key: the node is resolved here, its agent_url comes from its
   * registration, and the token (≤ 300 s, the actions asked for) is the only credential the
   * GPU host sees. Make a new one for work that outlasts the token.
   */
  async operatorAgent (node: string | number, options: OperatorAgentOptions = {}): Promise<AgentClient> {
    const { actions, ttlS, scope, ...clientOptions } = options
    const nodeId = typeof node === 'number' ? node : (await this.findNode(node)).id
    const minted = await this.mintOperatorToken(nodeId, { ...(actions === undefined ? {} : { actions }), ...(ttlS === undefined ? {} : { ttlS }), ...(scope === undefined ? {} : { scope }) })
    if (minted.node.agentUrl === null) {
      throw new NodeLookupError(NodeLookupError.NO_AGENT_URL, `node ${minted.node.hostname} (id ${minted.node.id}) has not registered an agent_url; pass its agent's URL instead`)
    }
    return new AgentClient({ ...clientOptions, baseUrl: minted.node.agentUrl, apiKey: minted.token })
  }

  // Fleet (seed 003)
  listClusters (): Promise<T.ClusterSummary[]> { return this.#get('/api/clusters') }
  getCluster (clusterId: number): Promise<T.ClusterDetail> { return this.#get(`/api/clusters/${id(clusterId)}`) }
  createCluster (input: T.CreateClusterInput, o: CallOptions = {}): Promise<T.ClusterCreated> { return this.#send('POST', '/api/clusters', input, o) }
  /** Every node with its GPUs, cluster by cluster (one cluster when `clusterId` is given). */
  async listNodes (filter: { clusterId?: number } = {}): Promise<Array<T.ClusterDetail['nodes'][number] & { clusterName: string }>> {
    const ids = filter.clusterId === undefined ? (await this.listClusters()).map(c => c.id) : [filter.clusterId]
    const details = await Promise.all(ids.map(c => this.getCluster(c)))
    return details.flatMap(d => d.nodes.map(n => ({ ...n, clusterName: d.name })))
  }
  /** Idempotent by hostname (doubles as a heartbeat), so a retry is safe to ask for. */
  registerNode (input: T.RegisterNodeInput, o: CallOptions = {}): Promise<T.RegisteredNode> { return this.#send('POST', '/api/clusters/nodes', input, o) }
  registerGpus (input: T.RegisterGpusInput, o: CallOptions = {}): Promise<T.FleetGpu[]> { return this.#send('POST', '/api/clusters/gpus', input, o) }
  pushMetrics (metrics: Array<Record<string, unknown>>, o: CallOptions = {}): Promise<T.MetricsResult> { return this.#send('POST', '/api/clusters/metrics', { metrics }, o) }
  /** No new jobs placed on the node; running ones finish. Idempotent, so a retry is safe to ask for. */
  drainNode (nodeId: number, o: CallOptions = {}): Promise<T.NodeDetail> { return this.#send('POST', `/api/nodes/${id(nodeId)}/drain`, undefined, o) }
  resumeNode (nodeId: number, o: CallOptions = {}): Promise<T.NodeDetail> { return this.#send('POST', `/api/nodes/${id(nodeId)}/resume`, undefined, o) }
  /** ApiError NODE_HAS_RUNNING_JOBS (409) while running jobs hold its GPUs. */
  deleteNode (nodeId: number, o: CallOptions = {}): Promise<T.DeletedNode> { return this.#send('DELETE', `/api/nodes/${id(nodeId)}`, undefined, o) }
  /** Per-GPU history of a node (every GPU, or the one with index `gpu`): range 1h, 24h (default), 7d or 30d. */
  getGpuHistory (nodeId: number, query: { range?: '1h' | '24h' | '7d' | '30d', gpu?: number } = {}): Promise<T.GpuHistory> {
    return this.#get(`/api/nodes/${id(nodeId)}/gpu-history`, { range: query.range, gpu: query.gpu })
  }
  /**
   * Every registered agent's /metrics as Prometheus http_sd target groups (one cluster by name
   * with `cluster`), ready to write as a file_sd file: keys stay as Prometheus spells them.
   */
  getPrometheusTargets (query: { cluster?: string } = {}): Promise<T.PrometheusTargetGroup[]> {
    // camelize() converts none of these keys (none is lower snake_case): the answer is the wire's http_sd unchanged.
    return this.#get('/api/prometheus/targets', { cluster: query.cluster })
  }

  // Telemetry (seed 000)
  getGpuStats (filter: { nodeId?: number, clusterId?: number, hostname?: string } = {}): Promise<T.GpuStat[]> {
    return this.#get('/api/gpu-stats', { node_id: filter.nodeId, cluster_id: filter.clusterId, hostname: filter.hostname })
  }
  getPowerHistory (query: { days?: number, bucketMinutes?: number, tz?: string, nodeId?: number, clusterId?: number } = {}): Promise<T.PowerHistory> {
    return this.#get('/api/gpu-stats/power-history', { days: query.days, bucket_minutes: query.bucketMinutes, tz: query.tz, node_id: query.nodeId, cluster_id: query.clusterId })
  }
  ingestGpuStats (body: { node?: T.IngestNodeInput, gpus: T.GpuStatRowInput[] }, o: CallOptions = {}): Promise<T.GpuStatsIngestResult> { return this.#send('POST', '/api/gpu-stats', body, o) }

  // Region health and routing
  getRegions (): Promise<T.Regions> { return this.#get('/v1/regions') }
  route (query: { region?: string, minFreeMb?: number, gpuModel?: string } = {}): Promise<T.Route> {
    return this.#get('/v1/route', { region: query.region, min_free_mb: query.minFreeMb, gpu_model: query.gpuModel })
  }

  // Tenants
  listTenants (): Promise<T.Tenant[]> { return this.#get('/api/tenants') }
  getTenant (tenantId: number): Promise<T.Tenant> { return this.#get(`/api/tenants/${id(tenantId)}`) }
  createTenant (input: T.CreateTenantInput, o: CallOptions = {}): Promise<T.Tenant> { return this.#send('POST', '/api/tenants', input, o) }
  updateTenant (tenantId: number, input: T.UpdateTenantInput, o: CallOptions = {}): Promise<T.Tenant> { return this.#send('PUT', `/api/tenants/${id(tenantId)}`, input, o) }
  deleteTenant (tenantId: number, o: CallOptions = {}): Promise<T.TenantDeleted> { return this.#send('DELETE', `/api/tenants/${id(tenantId)}`, undefined, o) }
  getTenantUsage (tenantId: number, query: { days?: number } = {}): Promise<T.TenantUsage> { return this.#get(`/api/tenants/${id(tenantId)}/usage`, { days: query.days }) }

  // Jobs: pendingReason says why a job is not running.
  submitJob (input: T.SubmitJobInput, o: CallOptions = {}): Promise<T.Job> { return this.#send('POST', '/api/jobs', input, o) }
  listJobs (query: JobsQuery = {}): Promise<T.JobPage> {
    return this.#get('/api/jobs', { status: query.status, tenant_id: query.tenantId, cluster_id: query.clusterId, kind: query.kind, limit: query.limit, offset: query.offset })
  }
  /** Every matching job, page by page (`for await (const job of client.iterateJobs())`). */
  iterateJobs (query: JobsQuery = {}): AsyncGenerator<T.Job, void, undefined> {
    return paginate(async (offset, limit) => {
      const page = await this.listJobs({ ...query, offset, limit })
      return { items: page.jobs, hasMore: page.nextOffset !== null }
    }, { limit: query.limit ?? 100, offset: query.offset })
  }
  getJob (jobId: number): Promise<T.JobDetail> { return this.#get(`/api/jobs/${id(jobId)}`) }
  cancelJob (jobId: number, o: CallOptions = {}): Promise<T.Job> { return this.#send('PATCH', `/api/jobs/${id(jobId)}`, { status: 'cancelled' }, o) }
  /** Operator hold (pending reason OPERATOR_HOLD) until releaseJob. */
  holdJob (jobId: number, reason?: string, o: CallOptions = {}): Promise<T.Job> { return this.#send('PATCH', `/api/jobs/${id(jobId)}`, { status: 'blocked', blockReason: reason }, o) }
  releaseJob (jobId: number, o: CallOptions = {}): Promise<T.Job> { return this.#send('PATCH', `/api/jobs/${id(jobId)}`, { status: 'queued' }, o) }
  /** The log of the job's latest run (the last `tail` lines when given); `truncatedBytes`: the head retention dropped. */
  async getJobLog (jobId: number, query: { tail?: number } = {}): Promise<T.JobLog> {
    const log = await this.streamJobLog(jobId, query)
    const parts: Buffer[] = []
    for await (const chunk of log) parts.push(chunk)
    return { text: Buffer.concat(parts).toString('utf8'), truncatedBytes: log.truncatedBytes }
  }
  /**
   * The job's log as it comes: with `follow`, new output until the job has ended and gone quiet
   * (`for await (const bytes of await client.streamJobLog(id, { follow: true }))`); `cancel()` stops early.
   */
  async streamJobLog (jobId: number, query: { tail?: number, follow?: boolean } = {}): Promise<T.JobLogStream> {
    if (!Number.isSafeInteger(jobId) || jobId < 1) throw new InvalidArgumentError(`jobId must be a positive integer, got ${String(jobId)}`)
    if (query.tail !== undefined && (!Number.isInteger(query.tail) || query.tail < 1 || query.tail > MAX_LOG_TAIL_LINES)) {
      throw new InvalidArgumentError(`tail must be an integer from 1 to ${MAX_LOG_TAIL_LINES}, got ${String(query.tail)}`)
    }
    const res = await this.#http.stream(jobLogsPath(jobId), { query: { tail: query.tail, follow: query.follow === true ? 1 : undefined }, open: query.follow === true })
    const truncated = Number(res.headers[LOG_TRUNCATED_HEADER.toLowerCase()] ?? 0)
    return { truncatedBytes: Number.isFinite(truncated) ? truncated : 0, cancel: res.cancel, [Symbol.asyncIterator]: () => res.body[Symbol.asyncIterator]() }
  }
  getSchedulerLogs (query: { limit?: number } = {}): Promise<T.SchedulerCycle[]> { return this.#get('/api/scheduler/logs', { limit: query.limit }) }
  getSchedulingMetrics (): Promise<T.SchedulingMetrics> { return this.#get('/api/dashboard/scheduling-metrics') }
  getGpuAllocation (query: { clusterId?: number } = {}): Promise<T.GpuAllocation> { return this.#get('/api/dashboard/gpu-allocation', { cluster_id: query.clusterId }) }

  // Billing
  listRates (): Promise<T.Rate[]> { return this.#get('/api/rates') }
  setRate (gpuType: string, input: T.SetRateInput, o: CallOptions = {}): Promise<T.Rate> { return this.#send('PUT', `/api/rates/${id(gpuType)}`, input, o) }
  /** Idempotent per tenant and period: the same period answers the same invoice (`created: false`). */
  createInvoice (tenantId: number, query: { days?: number } = {}, o: CallOptions = {}): Promise<T.IssuedInvoice> {
    return this.#http.request('POST', `/api/tenants/${id(tenantId)}/invoice`, { query: { days: query.days }, ...o })
  }
  getInvoice (invoiceId: number): Promise<T.Invoice> { return this.#get(`/api/invoices/${id(invoiceId)}`) }
  setInvoiceStatus (invoiceId: number, status: T.InvoiceStatus, o: CallOptions = {}): Promise<T.Invoice> { return this.#send('PATCH', `/api/invoices/${id(invoiceId)}/status`, { status }, o) }
  getBillingSummary (): Promise<T.BillingSummary> { return this.#get('/api/billing/summary') }
  /** The 20 newest invoices (the billing summary's list). */
  async listInvoices (): Promise<T.Invoice[]> { return (await this.getBillingSummary()).recentInvoices }
  getRevenue (query: { days?: number } = {}): Promise<T.Revenue> { return this.#get('/api/dashboard/revenue', { days: query.days }) }

  // Alerts
  listAlertRules (): Promise<T.AlertRule[]> { return this.#get('/api/alerts/rules') }
  updateAlertRule (ruleId: number, patch: T.AlertRulePatch, o: CallOptions = {}): Promise<T.AlertRule> { return this.#send('PATCH', `/api/alerts/rules/${id(ruleId)}`, patch, o) }
  listAlertEvents (query: { limit?: number } = {}): Promise<T.AlertEvent[]> { return this.#get('/api/alerts/events', { limit: query.limit }) }
  /** No webhook for the event's rule and subject until then (`{ minutes }` or `{ until }`). */
  silenceAlertEvent (eventId: number, input: T.AlertSilenceInput, o: CallOptions = {}): Promise<T.AlertEvent> { return this.#send('POST', `/api/alerts/events/${id(eventId)}/silence`, input, o) }

  // Analytics (seed 001, admin)
  listHistoryKinds (): Promise<T.HistoryKinds> { return this.#get('/v1/history') }
  getHistory<K extends T.HistoryKind> (kind: K, query: T.HistoryQuery = {}): Promise<T.HistoryPage<K>> {
    return this.#get(`/v1/history/${id(kind)}`, { since: query.since, until: query.until, order: query.order, limit: query.limit, offset: query.offset })
  }
  /** Every record of a kind, walking `has_more` (`for await (const job of client.iterateHistory('training'))`). */
  iterateHistory<K extends T.HistoryKind> (kind: K, query: T.HistoryQuery = {}): AsyncGenerator<T.HistoryRecords[K], void, undefined> {
    return paginate(async (offset, limit) => {
      const page = await this.getHistory(kind, { ...query, offset, limit })
      return { items: page.jobs, hasMore: page.hasMore }
    }, { limit: query.limit ?? 100, offset: query.offset })
  }
  getHistorySummary (query: { since?: string, until?: string, tz?: string } = {}): Promise<T.HistorySummary> { return this.#get('/v1/history/summary', query) }
  getWorkerEvents (query: { since?: string, until?: string, limit?: number } = {}): Promise<T.WorkerEvents> { return this.#get('/admin/worker-events', query) }
  getGlobalEnv (): Promise<T.GlobalEnvEntry[]> { return this.#get('/v1/global-env') }
  /** `value`: JSON text, or for JSON-valued keys the value itself (sent as is, keys not converted). */
  setGlobalEnv (key: string, value: string | Record<string, unknown>, o: CallOptions = {}): Promise<T.GlobalEnvEntry> { return this.#send('PUT', `/v1/global-env/${id(key)}`, { value }, o) }
  /** Idempotent per record id, so `{ retry: true }` is safe. */
  ingestInferenceRecords (records: Array<Record<string, unknown>>, o: CallOptions = {}): Promise<T.InferenceIngestResult> { return this.#send('POST', '/v1/inference/records', { records }, o) }
  upsertEndpoint (name: string, input: T.EndpointUpsertInput, o: CallOptions = {}): Promise<T.EndpointRecord> { return this.#send('PUT', `/v1/endpoints/${id(name)}`, input, o) }
  deleteEndpoint (name: string, o: CallOptions = {}): Promise<T.EndpointRecord> { return this.#send('DELETE', `/v1/endpoints/${id(name)}`, undefined, o) }

  // Dashboard (seed 003)
  getKpis (): Promise<T.DashboardKpis> { return this.#get('/api/dashboard/kpis') }
  getDashboard (): Promise<T.DashboardOverview> { return this.#get('/api/dashboard') }
  getLeakage (): Promise<T.DashboardLeakage> { return this.#get('/api/dashboard/leakage') }

  #get<R> (path: string, query?: RequestOptions['query']): Promise<R> {
    return this.#http.request('GET', path, { query }) as Promise<R>
  }

  #send<R> (method: string, path: string, body: unknown, o: CallOptions): Promise<R> {
    return this.#http.request(method, path, { body, ...o }) as Promise<R>
  }
}

export interface JobsQuery { status?: T.JobStatus, tenantId?: number, clusterId?: number, kind?: T.JobKind, limit?: number, offset?: number }
