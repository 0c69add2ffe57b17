import type { Rate } from '../match-rate.ts'
import type { EndpointRecord, InferenceRecord, InferenceTotals, JobRecord, WorkerEventRow } from '../store/analytics-repository.ts'
import { dollars } from '../billing/money.ts'
import { roundTo } from './round-to.ts'
import { priceJob } from './price-job.ts'

/** Store records → seed 001's snake_case JSON; epoch ms become ISO 8601 here, at the edge. */

type Aliases = ReadonlyMap<string, string>

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())
const labelOf = (source: string | null, aliases: Aliases) => (source === null ? null : (aliases.get(source) ?? null))

export function jobJson (job: JobRecord, rates: readonly Rate[], now: number, aliases: Aliases) {
  const price = priceJob(job, rates, now)
  return {
    id: job.id,
    kind: job.kind,
    name: job.name,
    tenant_id: job.tenantId,
    tenant: job.tenantName,
    status: job.status,
    gpu_type: job.gpuType,
    gpu_count: job.gpuCount,
    cluster_id: job.clusterId,
    node_id: job.nodeId,
    source: job.hostname,
    label: labelOf(job.hostname, aliases),
    submitted_at: iso(job.submittedAt) as string,
    started_at: iso(job.startedAt),
    ended_at: iso(job.endedAt),
    duration_s: price.durationMs === null ? null : roundTo(price.durationMs / 1000, 3),
    gpu_hours: roundTo(price.gpuMs / 3_600_000, 6),
    cost_per_hr: price.centsPerHour === null ? null : price.centsPerHour / 100,
    cost: price.cents === null ? null : dollars(price.cents),
    currency: 'usd' as const,
    cost_final: price.final,
    gpus: job.gpus.map(g => ({
      gpu_id: g.gpuId,
      gpu_model: g.gpuModel,
      source: g.hostname,
      label: labelOf(g.hostname, aliases),
      assigned_at: iso(g.assignedAt) as string,
      released_at: iso(g.releasedAt),
    })),
  }
}

export function inferenceJson (r: InferenceRecord, aliases: Aliases) {
  return {
    id: r.id,
    kind: 'inference' as const,
    at: iso(r.at) as string,
    endpoint: r.endpoint,
    model: r.model,
    tenant_id: r.tenantId,
    tenant: r.tenantName,
    source: r.source,
    label: labelOf(r.source, aliases),
    status: r.status,
    tokens_in: r.tokensIn,
    tokens_out: r.tokensOut,
    latency_ms: r.latencyMs,
    cost: null,
  }
}

export function endpointJson (e: EndpointRecord, activity: InferenceTotals, aliases: Aliases) {
  return {
    id: e.id,
    kind: 'endpoint' as const,
    name: e.name,
    model: e.model,
    replicas: e.replicas,
    status: e.status,
    tenant_id: e.tenantId,
    tenant: e.tenantName,
    source: e.source,
    label: labelOf(e.source, aliases),
    created_at: iso(e.createdAt) as string,
    updated_at: iso(e.updatedAt) as string,
    deleted_at: iso(e.deletedAt),
    requests: activity.requests,
    errors: activity.errors,
    tokens_in: activity.tokensIn,
    tokens_out: activity.tokensOut,
    cost: null,
    events: e.events.map(ev => ({ kind: ev.kind, at: iso(ev.at) as string, detail: ev.detail })),
  }
}

const WORKER_KINDS: Record<string, string> = {
  'node:registered': 'agent_registered',
  'node:online': 'agent_online',
  'node:offline': 'agent_offline',
  'job:started': 'job_started',
  'job:ended': 'job_ended',
  'job:gpu_assigned': 'gpu_assigned',
  'job:gpu_released': 'gpu_released',
}

function detailOf (text: string | null): Record<string, unknown> | null {
  if (text === null || text === '') return null
  try {
    const v = JSON.parse(text) as unknown
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : { value: v }
  } catch {
    // The scheduler owns job_events.detail; free text is passed on, never dropped.
    return { message: text }
  }
}

/** One shape for both origins; ids are prefixed by origin so they stay unique across the merge. */
export function workerEventJson (e: WorkerEventRow) {
  return {
    id: `${e.origin}-${e.rowId}`,
    at: iso(e.at) as string,
    kind: WORKER_KINDS[`${e.origin}:${e.kind}`] ?? `${e.origin}_${e.kind}`,
    node_id: e.nodeId,
    hostname: e.hostname,
    gpu_id: e.gpuId,
    job_id: e.jobId,
    detail: detailOf(e.detail),
  }
}
