import type { AnalyticsRepository, EndpointEvent, EndpointRecord, EndpointUpsert } from '../analytics-repository.ts'
import type { SqlDb, SqlQuery } from '../sql-db.ts'
import { ANALYTICS_LOCK } from '../store-locks.ts'
import { ENDPOINT_COLUMNS as COLUMNS, ENDPOINT_FIELDS as FIELDS, MAX_MS, MIN_MS, parseEventDetail as parseDetail } from './endpoint-rows.ts'

type EndpointPart = Pick<AnalyticsRepository, 'upsertEndpoint' | 'deleteEndpoint' | 'listEndpoints'>

/** Serving deployments: one row per deployment, lifecycle events beside it. */
export function createSqlEndpoints (db: SqlDb): EndpointPart {
  async function eventsOf (ids: number[]): Promise<Map<number, EndpointEvent[]>> {
    const out = new Map<number, EndpointEvent[]>()
    if (ids.length === 0) return out
    const rows = await db.all<any>(`SELECT endpoint_id, kind, at, detail FROM endpoint_events
      WHERE ${db.dialect.inList('endpoint_id', 'bigint')} ORDER BY endpoint_id, at, id`, ids)
    for (const r of rows) {
      let list = out.get(r.endpoint_id)
      if (list === undefined) out.set(r.endpoint_id, list = [])
      list.push({ kind: r.kind, at: r.at, detail: parseDetail(r.detail) })
    }
    return out
  }

  async function toRecords (rows: any[]): Promise<EndpointRecord[]> {
    const events = await eventsOf(rows.map(r => r.id))
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

  const byId = async (id: number) => (await toRecords([await db.one(`SELECT ${COLUMNS} FROM endpoints e LEFT JOIN tenants t ON t.id = e.tenant_id WHERE e.id = ?`, id)]))[0]!
  const addEvent = (q: SqlQuery, id: number, kind: EndpointEvent['kind'], at: number, detail: unknown) =>
    q.run('INSERT INTO endpoint_events (endpoint_id, kind, at, detail) VALUES (?, ?, ?, ?)', id, kind, at, detail === null ? null : JSON.stringify(detail))

  return {
    async upsertEndpoint (input: EndpointUpsert, at) {
      const result = await db.tx(ANALYTICS_LOCK, async q => {
        const live = await q.one<any>('SELECT id, model, replicas, status, tenant_id, source FROM endpoints WHERE name = ? AND deleted_at IS NULL', input.name)
        if (live === undefined) {
          const row = await q.one(`INSERT INTO endpoints (name, model, replicas, status, tenant_id, source, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, input.name, input.model, input.replicas, input.status, input.tenantId, input.source, at, at)
          const id = Number(row!.id)
          await addEvent(q, id, 'created', at, {
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
          await q.run('UPDATE endpoints SET model = ?, replicas = ?, status = ?, tenant_id = ?, source = ?, updated_at = ? WHERE id = ?',
            input.model, input.replicas, input.status, input.tenantId, input.source, at, live.id)
          await addEvent(q, live.id, 'updated', at, changes)
        }
        return { id: live.id as number, created: false, changed }
      })
      return { endpoint: await byId(result.id), created: result.created, changed: result.changed }
    },

    async deleteEndpoint (name, at) {
      const id = await db.tx(ANALYTICS_LOCK, async q => {
        const live = await q.one<{ id: number }>('SELECT id FROM endpoints WHERE name = ? AND deleted_at IS NULL', name)
        if (live === undefined) return null
        await q.run(`UPDATE endpoints SET status = 'deleted', deleted_at = ?, updated_at = ? WHERE id = ?`, at, at, live.id)
        await addEvent(q, live.id, 'deleted', at, null)
        return live.id
      })
      return id === null ? null : byId(id)
    },

    async listEndpoints (q) {
      const dir = q.order === 'asc' ? 'ASC' : 'DESC'
      const rows = await db.all<any>(`SELECT ${COLUMNS} FROM endpoints e LEFT JOIN tenants t ON t.id = e.tenant_id
        WHERE e.created_at >= ? AND e.created_at < ? ORDER BY e.created_at ${dir}, e.id ${dir} LIMIT ? OFFSET ?`,
      q.since ?? MIN_MS, q.until ?? MAX_MS, q.limit + 1, q.offset)
      return { items: await toRecords(rows.slice(0, q.limit)), hasMore: rows.length > q.limit }
    },
  }
}
