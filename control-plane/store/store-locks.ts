/**
 * The `lock` names of SqlDb.tx: on PostgreSQL, transaction-scoped advisory locks that serialize
 * one domain's multi-statement writes across every replica, as SQLite's single writer does for
 * one file. Jobs, tenants and GPU assignment
 * share one: a cycle, a submit, a job change and a tenant delete never interleave.
 */
export const SCHEDULING_LOCK = 'gpufleet:scheduling'
export const BILLING_LOCK = 'gpufleet:billing'
export const ALERTS_LOCK = 'gpufleet:alerts'
export const ANALYTICS_LOCK = 'gpufleet:analytics'
/** The fleet's multi-statement writes (registration, GPU matching, liveness). */
export const FLEET_LOCK = 'gpufleet:fleet'
/** API-key changes: the last-superadmin check of a revoke is atomic. */
export const API_KEYS_LOCK = 'gpufleet:api_keys'
/** One job's log appends (its retention spans the job's runs); other jobs' uploads never wait. */
export const jobLogLock = (jobId: number): string => `gpufleet:job_log:${jobId}`
