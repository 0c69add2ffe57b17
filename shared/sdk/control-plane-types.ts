import type { z } from '@hono/zod-openapi'
import type { Camel } from './camel-case.ts'
import type { OperatorTokenResponse } from '../../shared/wire/operator-token.ts'
// Types only (erased at run time, so the SDK loads no schema): each shape is the camelCase view
// of the very schema in shared/wire that validates and documents the route.
import type { ApiKeySchema, CreateApiKeyBody, CreatedApiKeySchema } from '../wire/api-key-schemas.ts'
import type { clusterCreatedSchema, clusterDetailSchema, clusterSummarySchema, createClusterBodySchema, deletedNodeSchema, gpuSchema, metricsResultSchema, nodeDetailSchema, nodeSchema, registeredNodeSchema } from '../wire/fleet-schemas.ts'
import type { regionsResponseSchema, routeResponseSchema } from '../wire/regions-schemas.ts'
import type { gpuStatSchema, ingestResultSchema, powerHistorySchema } from '../wire/telemetry-schemas.ts'
import type { gpuHistorySchema } from '../wire/gpu-history-schemas.ts'
import type { createTenantBodySchema, tenantDeletedSchema, tenantSchema, updateTenantBodySchema } from '../wire/tenant-schemas.ts'
import type { createJobBodySchema, jobDetailSchema, jobPageSchema, jobSchema } from '../wire/job-schemas.ts'
import type { gpuAllocationSchema, schedulerCycleSchema, schedulingMetricsSchema } from '../wire/scheduling-dashboard-schemas.ts'
import type { billingSummarySchema, invoiceSchema, issuedInvoiceSchema, putRateBodySchema, rateSchema, revenueSchema, usageSchema } from '../wire/billing-schemas.ts'
import type { eventSchema, rulePatchSchema, ruleSchema, silenceBodySchema } from '../wire/alerts-schemas.ts'
import type { endpointRecordSchema, endpointUpsertSchema, globalEnvEntrySchema, gpuJobRecordSchema, historyKindsSchema, inferenceIngestResultSchema, inferenceRecordJsonSchema, summarySchema, workerEventsSchema } from '../wire/analytics-schemas.ts'
import type { kpisSchema, leakageSchema, overviewSchema } from '../wire/dashboard-schemas.ts'
import type { nodeRegistrationSchema, gpuRegistrationSchema } from '../wire/registration.ts'
import type { prometheusTargetGroupSchema } from '../wire/prometheus-targets-schemas.ts'
import type { gpuStatRowSchema, ingestNodeSchema } from '../wire/gpu-stats.ts'
import type { JobKind, JobStatus, PendingReason } from '../wire/enums.ts'

type Out<S extends z.ZodType> = Camel<z.output<S>>
type In<S extends z.ZodType> = Camel<z.input<S>>

export type ApiKey = Out<typeof ApiKeySchema>
export type CreatedApiKey = Out<typeof CreatedApiKeySchema>
export type CreateApiKeyInput = In<typeof CreateApiKeyBody>

export type ClusterSummary = Out<typeof clusterSummarySchema>
export type ClusterCreated = Out<typeof clusterCreatedSchema>
export type ClusterDetail = Out<typeof clusterDetailSchema>
export type CreateClusterInput = In<typeof createClusterBodySchema>
export type FleetNode = Out<typeof nodeSchema>
export type NodeDetail = Out<typeof nodeDetailSchema>
export type DeletedNode = Out<typeof deletedNodeSchema>
export type FleetGpu = Out<typeof gpuSchema>
export type RegisteredNode = Out<typeof registeredNodeSchema>
export type RegisterNodeInput = In<typeof nodeRegistrationSchema>
export type RegisterGpusInput = In<typeof gpuRegistrationSchema>
export type MetricsResult = Out<typeof metricsResultSchema>

export type Regions = Out<typeof regionsResponseSchema>
export type Route = Out<typeof routeResponseSchema>

export type GpuStat = Out<typeof gpuStatSchema>
export type GpuStatRowInput = In<typeof gpuStatRowSchema>
export type IngestNodeInput = In<typeof ingestNodeSchema>
export type GpuStatsIngestResult = Out<typeof ingestResultSchema>
export type PowerHistory = Out<typeof powerHistorySchema>
export type GpuHistory = Out<typeof gpuHistorySchema>

export type Tenant = Out<typeof tenantSchema>
export type TenantDeleted = Out<typeof tenantDeletedSchema>
export type CreateTenantInput = In<typeof createTenantBodySchema>
export type UpdateTenantInput = In<typeof updateTenantBodySchema>

export type Job = Out<typeof jobSchema>
export type JobDetail = Out<typeof jobDetailSchema>
export type JobPage = Out<typeof jobPageSchema>
export type SubmitJobInput = In<typeof createJobBodySchema>
/** What an agent reads and reports for executed jobs (the wire's own snake_case types: agents send them as they are). */
export type { Assignment, AssignmentSet, JobRunEvent, RunFailure } from '../wire/job-execution.ts'
/** GET /api/jobs/:id/logs: the latest run's log; `truncatedBytes` of its head were dropped by retention. */
export interface JobLog { text: string, truncatedBytes: number }
/** The same, read as it comes (raw bytes; with follow, until the job has ended and gone quiet). */
export interface JobLogStream extends AsyncIterable<Buffer> { truncatedBytes: number, cancel: () => void }
export type { JobKind, JobStatus, PendingReason }
export type SchedulerCycle = Out<typeof schedulerCycleSchema>
export type SchedulingMetrics = Out<typeof schedulingMetricsSchema>
export type GpuAllocation = Out<typeof gpuAllocationSchema>

export type Rate = Out<typeof rateSchema>
export type SetRateInput = In<typeof putRateBodySchema>
export type Invoice = Out<typeof invoiceSchema>
export type IssuedInvoice = Out<typeof issuedInvoiceSchema>
export type InvoiceStatus = Invoice['status']
export type BillingSummary = Out<typeof billingSummarySchema>
export type TenantUsage = Out<typeof usageSchema>
export type Revenue = Out<typeof revenueSchema>

export type AlertRule = Out<typeof ruleSchema>
export type AlertRulePatch = In<typeof rulePatchSchema>
export type AlertEvent = Out<typeof eventSchema>
export type AlertSilenceInput = In<typeof silenceBodySchema>

export type HistoryKinds = Out<typeof historyKindsSchema>
export type GpuJobRecord = Out<typeof gpuJobRecordSchema>
export type InferenceRecord = Out<typeof inferenceRecordJsonSchema>
export type EndpointRecord = Out<typeof endpointRecordSchema>
export type EndpointUpsertInput = In<typeof endpointUpsertSchema>
export type InferenceIngestResult = Out<typeof inferenceIngestResultSchema>
export type HistorySummary = Out<typeof summarySchema>
export type WorkerEvents = Out<typeof workerEventsSchema>
export type GlobalEnvEntry = Out<typeof globalEnvEntrySchema>

export type DashboardKpis = Out<typeof kpisSchema>
export type DashboardOverview = Out<typeof overviewSchema>
export type DashboardLeakage = Out<typeof leakageSchema>

/** Seed 001's history kinds and what each page holds. */
export interface HistoryRecords {
  benchmarks: GpuJobRecord
  training: GpuJobRecord
  compute: GpuJobRecord
  serving: GpuJobRecord
  inference: InferenceRecord
  endpoints: EndpointRecord
}
export type HistoryKind = keyof HistoryRecords
export interface HistoryPage<K extends HistoryKind> { jobs: Array<HistoryRecords[K]>, hasMore: boolean }
export interface HistoryQuery { since?: string, until?: string, order?: 'asc' | 'desc', limit?: number, offset?: number }

/** POST /api/nodes/:id/operator-token's answer (docs/api.md "Operator tokens"). */
export type OperatorToken = Camel<OperatorTokenResponse>

/** Prometheus http_sd as on the wire: `__scheme__` and `__metrics_path__` are Prometheus' own names, and no key is case-converted. */
export type PrometheusTargetGroup = z.output<typeof prometheusTargetGroupSchema>
