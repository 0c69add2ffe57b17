/**
 * Reading an executed job's log (`GET /api/jobs/:id/logs`, issue 15): plain constants, so the
 * SDK and the CLI read them without zod. The agent's upload side is in job-execution.ts.
 */

/** `GET` text/plain: `?tail=N&follow=1`. */
export const jobLogsPath = (jobId: number): string => `/api/jobs/${jobId}/logs`
/** Present when retention dropped the log's head: how many bytes are gone. */
export const LOG_TRUNCATED_HEADER = 'X-Gpufleet-Log-Truncated'
/** The largest `tail`. */
export const MAX_LOG_TAIL_LINES = 10_000
