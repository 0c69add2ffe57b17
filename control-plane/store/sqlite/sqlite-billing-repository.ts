import type { SQLInputValue } from 'node:sqlite'
import type {
  BillingRepository, Invoice, InvoiceQuery, InvoiceStatus, MeteredInterval, NewInvoice, StatusTotal,
} from '../billing-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { linesJson, toInvoice, toRate } from '../sql/billing-rows.ts'

type Row = Record<string, unknown>

const num = (x: unknown): number => Number(x)
const numOrNull = (x: unknown): number | null => (x === null || x === undefined ? null : Number(x))
const strOrNull = (x: unknown): string | null => (x === null || x === undefined ? null : String(x))

export function createSqliteBillingRepository (db: SqliteDb): BillingRepository {

  const one = (sql: string, ...args: SQLInputValue[]): Row | undefined => db.stmt(sql).get(...args) as Row | undefined
  const all = (sql: string, ...args: SQLInputValue[]): Row[] => db.stmt(sql).all(...args) as Row[]
  const invoiceById = (id: number): Invoice | null => {
    const r = one('SELECT * FROM invoices WHERE id = ?', id)
    return r === undefined ? null : toInvoice(r)
  }

  return {
    async listRates () {
      return all('SELECT * FROM rates ORDER BY gpu_type').map(toRate)
    },

    async putRate (gpuType, centsPerGpuHour, at) {
      return db.tx(() => {
        const created = one('SELECT 1 FROM rates WHERE gpu_type = ?', gpuType) === undefined
        const r = one(`INSERT INTO rates (gpu_type, cents_per_gpu_hour, updated_at) VALUES (?, ?, ?)
          ON CONFLICT (gpu_type) DO UPDATE SET cents_per_gpu_hour = excluded.cents_per_gpu_hour, updated_at = excluded.updated_at
          RETURNING *`, gpuType, centsPerGpuHour, at) as Row
        return { rate: toRate(r), created }
      })
    },

    async getTenant (id) {
      const r = one('SELECT id, name FROM tenants WHERE id = ?', id)
      return r === undefined ? null : { id: num(r.id), name: String(r.name) }
    },

    async listTenants () {
      return all('SELECT id, name FROM tenants ORDER BY id').map(r => ({ id: num(r.id), name: String(r.name) }))
    },

    async meterIntervals ({ from, to, now, tenantId }) {
      // Clipping in SQL keeps the rows small; splitting by UTC day and pricing are done by the caller.
      const rows = db.stmt(`
        SELECT j.tenant_id, g.job_id, j.name AS job_name, g.gpu_id, g.gpu_model,
               MAX(g.assigned_at, :from) AS start_at,
               MIN(COALESCE(g.released_at, :now), :to) AS end_at,
               g.released_at IS NULL AS running
        FROM job_gpus g JOIN jobs j ON j.id = g.job_id
        WHERE g.assigned_at < :to AND COALESCE(g.released_at, :now) > :from
          AND (:tenant IS NULL OR j.tenant_id = :tenant)
        ORDER BY start_at, g.job_id, g.gpu_id`).all({ from, to, now, tenant: tenantId ?? null }) as Row[]
      const out: MeteredInterval[] = []
      for (const r of rows) {
        // Whole milliseconds (money is computed on integers), even if a writer stored a fraction.
        const start = Math.floor(num(r.start_at))
        const end = Math.floor(num(r.end_at))
        if (end <= start) continue
        out.push({
          tenantId: numOrNull(r.tenant_id),
          jobId: num(r.job_id),
          jobName: String(r.job_name),
          gpuId: num(r.gpu_id),
          gpuModel: strOrNull(r.gpu_model),
          start,
          end,
          running: num(r.running) === 1,
        })
      }
      return out
    },

    async createInvoice (input: NewInvoice) {
      // BEGIN IMMEDIATE serializes writers (across processes too); the partial unique index
      // invoices_pending_period is the database's own backstop.
      return db.tx(() => {
        const existing = one('SELECT * FROM invoices WHERE tenant_id = ? AND period_start = ? AND period_end = ? ORDER BY id LIMIT 1',
          input.tenantId, input.periodStart, input.periodEnd)
        if (existing !== undefined) return { invoice: toInvoice(existing), created: false }
        const r = one(`INSERT INTO invoices (tenant_id, tenant_name, period_start, period_end, days, total_gpu_seconds, total_gpu_ms,
            unpriced_gpu_ms, amount_cents, currency, status, line_items, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *`,
        input.tenantId, input.tenantName, input.periodStart, input.periodEnd, input.days, Math.round(input.totalGpuMs / 1000),
        input.totalGpuMs, input.unpricedGpuMs, input.amountCents, input.currency, linesJson(input.lineItems), input.createdAt) as Row
        return { invoice: toInvoice(r), created: true }
      })
    },

    async getInvoice (id) {
      return invoiceById(id)
    },

    async listInvoices (q: InvoiceQuery = {}) {
      const where: string[] = []
      const args: SQLInputValue[] = []
      if (q.tenantId !== undefined) { where.push('tenant_id = ?'); args.push(q.tenantId) }
      if (q.createdFrom !== undefined) { where.push('created_at >= ?'); args.push(q.createdFrom) }
      if (q.createdTo !== undefined) { where.push('created_at < ?'); args.push(q.createdTo) }
      if (q.overlapping !== undefined) { where.push('period_start < ? AND period_end > ?'); args.push(q.overlapping.end, q.overlapping.start) }
      const sql = `SELECT * FROM invoices ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY created_at DESC, id DESC LIMIT ?`
      return all(sql, ...args, q.limit ?? 1000).map(toInvoice)
    },

    async invoiceTotals (q = {}) {
      const rows = db.stmt(`
        SELECT i.tenant_id, COALESCE(t.name, MAX(i.tenant_name)) AS tenant_name, i.status,
               COUNT(*) AS n, COALESCE(SUM(i.amount_cents), 0) AS amount
        FROM invoices i LEFT JOIN tenants t ON t.id = i.tenant_id
        WHERE (:tenant IS NULL OR i.tenant_id = :tenant) AND (:from IS NULL OR i.created_at >= :from) AND (:to IS NULL OR i.created_at < :to)
        GROUP BY i.tenant_id, CASE WHEN i.tenant_id IS NULL THEN i.tenant_name END, i.status
        ORDER BY i.tenant_id IS NULL, i.tenant_id, tenant_name, i.status`)
        .all({ tenant: q.tenantId ?? null, from: q.createdFrom ?? null, to: q.createdTo ?? null }) as Row[]
      return rows.map((r): StatusTotal => ({
        tenantId: numOrNull(r.tenant_id),
        tenantName: strOrNull(r.tenant_name),
        status: String(r.status) as InvoiceStatus,
        count: num(r.n),
        amountCents: num(r.amount),
      }))
    },

    async setInvoiceStatus (id, to, from, at) {
      return db.tx(() => {
        const current = invoiceById(id)
        if (current === null) return { kind: 'not-found' as const }
        if (current.status === to) return { kind: 'unchanged' as const, invoice: current }
        if (!from.includes(current.status)) return { kind: 'refused' as const, invoice: current }
        try {
          const r = one('UPDATE invoices SET status = ?, status_changed_at = ? WHERE id = ? RETURNING *', to, at, id) as Row
          return { kind: 'updated' as const, invoice: toInvoice(r), from: current.status }
        } catch (err) {
          // Back to pending while another pending invoice holds the period (invoices_pending_period).
          if (/UNIQUE constraint failed/.test((err as Error).message)) return { kind: 'refused' as const, invoice: current }
          throw err
        }
      })
    },

    async claimPaymentLink (id, at, staleBefore) {
      const r = one(`UPDATE invoices SET payment_link_claimed_at = ?, payment_link_attempts = payment_link_attempts + 1
        WHERE id = ? AND stripe_payment_url IS NULL AND status <> 'paid'
          AND (payment_link_claimed_at IS NULL OR payment_link_claimed_at < ?)
        RETURNING payment_link_attempts`, at, id, staleBefore)
      return r === undefined ? null : num(r.payment_link_attempts)
    },

    async recordPaymentLink (id, link) {
      const r = one(`UPDATE invoices SET payment_provider = ?, payment_link_id = ?, stripe_payment_url = ?,
          payment_link_error = NULL, payment_link_claimed_at = NULL
        WHERE id = ? RETURNING *`, link.provider, link.linkId, link.url, id)
      if (r === undefined) throw new Error(`invoice ${id} vanished while its payment link was created`)
      return toInvoice(r)
    },

    async recordPaymentLinkFailure (id, provider, message) {
      const r = one(`UPDATE invoices SET payment_provider = ?, payment_link_error = ?, payment_link_claimed_at = NULL
        WHERE id = ? RETURNING *`, provider, message.slice(0, 500), id)
      if (r === undefined) throw new Error(`invoice ${id} vanished while its payment link was created`)
      return toInvoice(r)
    },

    async unlinkTenant (tenantId) {
      return db.tx(() => {
        db.stmt('UPDATE invoices SET tenant_name = COALESCE(tenant_name, (SELECT name FROM tenants WHERE id = ?)) WHERE tenant_id = ?').run(tenantId, tenantId)
        return Number(db.stmt('UPDATE invoices SET tenant_id = NULL WHERE tenant_id = ?').run(tenantId).changes)
      })
    },
  }
}
