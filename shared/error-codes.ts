import { HttpError } from './http-error.ts'

/**
 * Every code a gpufleet server (control plane or agent) answers an error with, declared once
 * with its HTTP status and a default message, then thrown by name (fastify's lib/errors.js):
 * `throw httpError('JOB_NOT_FOUND', `no job with id ${id}`)`.
 *
 * The codes are on the wire and clients branch on them: never rename one, and never merge two
 * that a client can tell apart. Overlaps kept on purpose:
 * - NOT_FOUND is the generic one (no route, no API key, no console asset); the typed
 *   `*_NOT_FOUND` codes name what is missing, and the routes that answer them documented so.
 * - VALIDATION_FAILED is a schema or cross-field check on a parsed request; BAD_REQUEST is a
 *   body Hono could not read at all; INVALID_JSON (telemetry ingest) and INVALID_BODY (the
 *   agent's purge) are the older, route-specific names for the same two cases.
 * - FORBIDDEN is a missing scope or a tenant/cluster binding in general; CLUSTER_MISMATCH,
 *   REGION_MISMATCH and NODE_OWNED_BY_OTHER_CLUSTER say which binding an agent key broke.
 * - STORE_UNAVAILABLE (control plane) and GPU_* / AUTH_UNAVAILABLE (agent) are 503s: retry.
 * Hono's own HTTPExceptions other than 400 and 413 answer `HTTP_<status>` (shared/on-error.ts).
 */
export const ERROR_CODES = {
  // 400: the request is wrong; fix it before retrying.
  VALIDATION_FAILED: { status: 400, message: 'the request failed validation' },
  BAD_REQUEST: { status: 400, message: 'the request could not be read' },
  INVALID_JSON: { status: 400, message: 'request body is not valid JSON' },
  INVALID_BODY: { status: 400, message: 'request body is not a valid request' },
  GPUS_REQUIRED: { status: 400, message: 'body must be a JSON object with a top-level "gpus" array' },
  INVALID_NODE: { status: 400, message: 'the body\'s node is not valid' },
  INVALID_ALIASES: { status: 400, message: 'source aliases must be a JSON object mapping source → label' },
  UNKNOWN_ENV_KEY: { status: 400, message: 'unknown global-env key' },
  WEBHOOK_ADDRESS_FORBIDDEN: { status: 400, message: 'the webhook URL points at a forbidden address' },
  // 401 / 403 / 429: who is calling, and what they may do.
  UNAUTHORIZED: { status: 401, message: 'missing, invalid or revoked API key' },
  SESSION_REQUIRED: { status: 401, message: 'this route reads the console session cookie, never an API key' },
  FORBIDDEN: { status: 403, message: 'the key lacks the scope or binding for this' },
  CSRF_INVALID: { status: 403, message: 'missing or wrong CSRF token' },
  CLUSTER_MISMATCH: { status: 403, message: 'this key acts for another cluster' },
  REGION_MISMATCH: { status: 403, message: 'this key\'s cluster is in another region' },
  NODE_OWNED_BY_OTHER_CLUSTER: { status: 403, message: 'the node belongs to another cluster' },
  TOO_MANY_AUTH_FAILURES: { status: 429, message: 'too many failed authentication attempts from this address; retry later' },
  // 404: no such thing.
  NOT_FOUND: { status: 404, message: 'not found' },
  ALERT_RULE_NOT_FOUND: { status: 404, message: 'no such alert rule' },
  ALERT_EVENT_NOT_FOUND: { status: 404, message: 'no such alert event' },
  CLUSTER_NOT_FOUND: { status: 404, message: 'no such cluster' },
  ENDPOINT_NOT_FOUND: { status: 404, message: 'no such live endpoint' },
  INVOICE_NOT_FOUND: { status: 404, message: 'no such invoice' },
  JOB_NOT_FOUND: { status: 404, message: 'no such job' },
  NODE_NOT_FOUND: { status: 404, message: 'no such node' },
  REGION_NOT_FOUND: { status: 404, message: 'no cluster is in that region' },
  TENANT_NOT_FOUND: { status: 404, message: 'no such tenant' },
  // 409: the request conflicts with the current state.
  CLUSTER_EXISTS: { status: 409, message: 'a cluster with this name already exists' },
  TENANT_EXISTS: { status: 409, message: 'a tenant with this name already exists' },
  NODE_HAS_RUNNING_JOBS: { status: 409, message: 'running jobs hold GPUs of the node; drain it and let them end first' },
  TENANT_REFERENCED: { status: 409, message: 'other records still refer to the tenant' },
  INVOICE_STATUS_CONFLICT: { status: 409, message: 'the invoice cannot move to that status from its current one' },
  INVOICE_PERIOD_BILLED: { status: 409, message: 'every day of the period is billed already by an earlier invoice' },
  INVOICES_CHANGED: { status: 409, message: 'other invoices of the tenant kept changing while this one was made; retry' },
  INVALID_TRANSITION: { status: 409, message: 'the job cannot make that transition' },
  JOB_CHANGED: { status: 409, message: 'the job kept changing while being updated; retry' },
  LAST_SUPERADMIN: { status: 409, message: 'this is the last active superadmin key' },
  PURGE_IN_PROGRESS: { status: 409, message: 'a GPU purge is already running on this node' },
  JOB_ON_OTHER_NODE: { status: 409, message: 'the job never ran on that node' },
  STALE_RUN: { status: 409, message: 'that run is not the job\'s current run' },
  JOB_LOG_CLOSED: { status: 409, message: 'the job ended too long ago to take more log' },
  LOG_OFFSET_MISMATCH: { status: 409, message: 'the chunk does not start at the bytes held; resend from details.offset' },
  // 413 / 415: the body itself.
  PAYLOAD_TOO_LARGE: { status: 413, message: 'request body is over the limit' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'request body must be application/json' },
  // 5xx: the server or what it depends on; the client may retry.
  INTERNAL: { status: 500, message: 'internal error' },
  UPSTREAM_ERROR: { status: 502, message: 'the API the console reads answered an error without a code' },
  STORE_UNAVAILABLE: { status: 503, message: 'the store is not answering; retry' },
  NO_HEALTHY_REGION: { status: 503, message: 'no region has a healthy node with room' },
  NOT_READY: { status: 503, message: 'agent not ready: no GPU snapshot yet' },
  AUTH_UNAVAILABLE: { status: 503, message: 'control plane unreachable; use the break-glass key' },
  GPU_DATA_UNAVAILABLE: { status: 503, message: 'no GPU reading yet' },
  GPU_DATA_STALE: { status: 503, message: 'GPU data is stale' },
  GPU_READ_FAILED: { status: 503, message: 'could not read GPU memory' },
} as const satisfies Record<string, { status: number, message: string }>

export type ErrorCode = keyof typeof ERROR_CODES

/** The HttpError for `code`, with the catalog's status (and its message unless one is given). */
export function httpError (code: ErrorCode, message?: string, details?: Record<string, unknown>): HttpError {
  const spec = ERROR_CODES[code]
  return new HttpError(spec.status, code, message ?? spec.message, details)
}
