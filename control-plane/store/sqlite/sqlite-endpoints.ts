import type { AnalyticsRepository, EndpointEvent, EndpointRecord, EndpointUpsert } from '../analytics-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { ENDPOINT_COLUMNS as COLUMNS, ENDPOINT_FIELDS as FIELDS, MAX_MS, MIN_MS, parseEventDetail as parseDetail } from '../endpoint-rows.ts'

type EndpointPart = Pick<AnalyticsRepository, 'upsertEndpoint' | 'deleteEndpoint' | 'listEndpoints'>

/** Serving deployments: one row per deployment, lifecycle events beside it. */
export function createSqliteEndpoints (db: SqliteDb): EndpointPart {
  function eventsOf (ids: number[]): Map<number, EndpointEvent[]> {
    const out = new Map<number, EndpointEvent[]>()
    if (ids.length === 0) return out
    const rows = db.stmt(`SELECT endpoint_id, kind, at, detail FROM endpoint_events
      WHERE endpoint_id IN (SELECT value FROM json_each(?)) ORDER BY endpoint_id, at, id`).all(JSON.stringify(ids)) as any[]
    for (const r of rows) {
      let list = out.get(r.endpoint_id)
      if (list === undefined) out.set(r.endpoint_id, list = [])
      list.push({ kind: r.kind, at: r.at, detail: parseDetail(r.detail) })
    }
    return out
  }

  function toRecords (rows: any[]): EndpointRecord[] {
    const events = eventsOf(rows.map(r => r.id))
    return rows.map(r => ({
      id: r.id,
      name: r.name,
      model: r.model,
      replicas: r.replicas,
      status: r.status,
      tenantId: r.tenant_id,
      tenantName: r.tenant_name,
      source: r.source,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      deletedAt: r.deleted_at,
      events: events.get(r.id) ?? [],
    }))
  }

  const byId = (id: number) => toRecords([db.stmt(`SELECT ${COLUMNS} FROM endpoints e LEFT JOIN tenants t ON t.id = e.tenant_id WHERE e.id = ?`).get(id)])[0]!
  const addEvent = (id: number, kind: EndpointEvent['kind'], at: number, detail: unknown) =>
    db.stmt('INSERT INTO endpoint_events (endpoint_id, kind, at, detail) VALUES (?, ?, ?, ?)')
      .run(id, kind, at, detail === null ? null : JSON.stringify(detail))

  return {
    async upsertEndpoint (input: EndpointUpsert, at) {
      const result = db.tx(() => {
        const live = db.stmt('SELECT id, model, replicas, status, tenant_id, source FROM endpoints WHERE name = ? AND deleted_at IS NULL')
          .get(input.name) as any
        if (live === undefined) {
          const { lastInsertRowid } = db.stmt(`INSERT INTO endpoints (name, model, replicas, status, tenant_id, source, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(input.name, input.model, input.replicas, input.status, input.tenantId, input.source, at, at)
          const id = Number(lastInsertRowid)
          addEvent(id, 'created', at, {
            model: input.model, replicas: input.replicas, status: input.status, tenant_id: input.tenantId, source: input.source,
          })
          return { id, created: true, changed: true }
        }
        const changes: Record<string, { from: unknown, to: unknown }> = {}
        for (const [field, column] of FIELDS) {
          if (live[column] !== input[field]) changes[column] = { from: live[column], to: input[field] }
        }
        const changed = Object.keys(changes).length > 0
        if (changed) {
          db.stmt('UPDATE endpoints SET model = ?, replicas = ?, status = ?, tenant_id = ?, source = ?, updated_at = ? WHERE id = ?')
            .run(input.model, input.replicas, input.status, input.tenantId, input.source, at, live.id)
          addEvent(live.id, 'updated', at, changes)
        }
        return { id: live.id as number, created: false, changed }
      })
      return { endpoint: byId(result.id), created: result.created, changed: result.changed }
    },

    async deleteEndpoint (name, at) {
      const id = db.tx(() => {
        const live = db.stmt('SELECT id FROM endpoints WHERE name = ? AND deleted_at IS NULL').get(name) as { id: number } | undefined
        if (live === undefined) return null
        db.stmt(`UPDATE endpoints SET status = 'deleted', deleted_at = ?, updated_at = ? WHERE id = ?`).run(at, at, live.id)
        addEvent(live.id, 'deleted', at, null)
        return live.id
      })
      return id === null ? null : byId(id)
    },

    async listEndpoints (q) {
      const dir = q.order === 'asc' ? 'ASC' : 'DESC'
      const rows = db.stmt(`SELECT ${COLUMNS} FROM endpoints e LEFT JOIN tenants t ON t.id = e.tenant_id
        WHERE e.created_at >= ? AND e.created_at < ? ORDER BY e.created_at ${dir}, e.id ${dir} LIMIT ? OFFSET ?`)
        .all(q.since ?? MIN_MS, q.until ?? MAX_MS, q.limit + 1, q.offset) as any[]
      return { items: toRecords(rows.slice(0, q.limit)), hasMore: rows.length > q.limit }
    },
  }
}
