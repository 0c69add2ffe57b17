/**
 * Serving deployments' rows: the column list, the fields an update can change, how a stored
 * event detail reads back; and the bounds of an open time filter, which the analytics reads share.
 */

// Safe bounds for an "unbounded" time filter that stay exact integers in SQLite, PostgreSQL's
// bigint and JS.
export const MIN_MS = -8.64e15
export const MAX_MS = 8.64e15

export const ENDPOINT_COLUMNS = `e.id, e.name, e.model, e.replicas, e.status, e.tenant_id, t.name AS tenant_name, e.source, e.created_at, e.updated_at,
  e.deleted_at`

// Wire names of the fields an update can change, in the order events list them.
export const ENDPOINT_FIELDS = [['model', 'model'], ['replicas', 'replicas'], ['status', 'status'], ['tenantId', 'tenant_id'], ['source', 'source']] as const

/** A stored event detail: a JSON object as is, any other JSON under `value`, non-JSON under `text`. */
export function parseEventDetail (text: string | null): Record<string, unknown> | null {
  if (text === null) return null
  try {
    const v = JSON.parse(text) as unknown
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : { value: v }
  } catch {
    return { text }
  }
}
