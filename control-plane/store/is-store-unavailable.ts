/**
 * Whether an error means "the database is not answering right now" (a retry later may
 * succeed) rather than a bug: PostgreSQL restarting or unreachable, a pooled connection
 * cut, SQLite busy past its timeout. The control plane answers these 503 STORE_UNAVAILABLE,
 * never 500, so agents spool and retry and load balancers see a replica that is not ready.
 */
export function isStoreUnavailable (err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const { code, errcode, message } = err as { code?: unknown, errcode?: unknown, message?: unknown }
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception), 57P01..57P03 (admin/crash shutdown, cannot
    // connect now), 53300 (too many connections).
    if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true
    if (NETWORK_CODES.has(code)) return true
  }
  // node:sqlite: SQLITE_BUSY (5) and SQLITE_LOCKED (6) after busy_timeout.
  if (code === 'ERR_SQLITE_ERROR' && (errcode === 5 || errcode === 6)) return true
  // node-postgres reports a dropped connection and pool timeouts as plain Errors.
  if (typeof message === 'string' && PG_MESSAGES.some(m => message.includes(m))) return true
  const cause = (err as { cause?: unknown }).cause
  return cause !== undefined && cause !== err && isStoreUnavailable(cause)
}

// VM_UNAVAILABLE: the VictoriaMetrics telemetry engine (store/vm/create-vm-client.ts) did not answer.
const NETWORK_CODES = new Set(['VM_UNAVAILABLE', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])

const PG_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Cannot use a pool after calling end on the pool',
  'Query read timeout',
]
