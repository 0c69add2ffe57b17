import { InvoiceOverlapChanged, type BillingRepository, type InvoiceQuery, type InvoiceStatus, type MeteredInterval, type NewInvoice, type StatusTotal } from '../billing-repository.ts'
import type { SqlDb, SqlQuery } from '../sql-db.ts'
import { BILLING_LOCK } from '../store-locks.ts'
import { linesJson, toInvoice, toRate } from './billing-rows.ts'
import { numOrNull, strOrNull } from './cells.ts'

const num = (x: unknown): number => Number(x)

export function createSqlBillingRepository (db: SqlDb): BillingRepository {
  const { greatest, least } = db.dialect
  const invoiceById = async (q: SqlQuery, id: number) => {
    const r = await q.one('SELECT * FROM invoices WHERE id = ?', id)
    return r === undefined ? null : toInvoice(r)
  }

  return {
    async listRates () {
      return (await db.all('SELECT * FROM rates ORDER BY gpu_type')).map(toRate)
    },

    async putRate (gpuType, centsPerGpuHour, at) {
      return db.tx(BILLING_LOCK, async q => {
        const created = await q.one('SELECT 1 FROM rates WHERE gpu_type = ?', gpuType) === undefined
        const r = await q.one(`INSERT INTO rates (gpu_type, cents_per_gpu_hour, updated_at) VALUES (?, ?, ?)
          ON CONFLICT (gpu_type) DO UPDATE SET cents_per_gpu_hour = excluded.cents_per_gpu_hour, updated_at = excluded.updated_at
          RETURNING *`, gpuType, centsPerGpuHour, at)
        return { rate: toRate(r!), created }
      })
    },

    async getTenant (id) {
      const r = await db.one('SELECT id, name FROM tenants WHERE id = ?', id)
      if (r !== undefined) return { id: num(r.id), name: String(r.name) }
      const d = await db.one('SELECT id, name, deleted_at FROM deleted_tenants WHERE id = ?', id)
      return d === undefined ? null : { id: num(d.id), name: String(d.name), deletedAt: num(d.deleted_at) }
    },

    async listTenants () {
      return (await db.all('SELECT id, name FROM tenants ORDER BY id')).map(r => ({ id: num(r.id), name: String(r.name) }))
    },

    async meterIntervals ({ from, to, now, tenantId }) {
      const tenant = tenantId ?? null
      // Clipping in SQL keeps the rows small; splitting by UTC day and pricing are done by the caller.
      // A deleted tenant's jobs (tenant_id null, deleted_tenant_id kept) are its own up to the delete.
      const rows = await db.all(`
        SELECT j.tenant_id, j.deleted_tenant_id, d.deleted_at, g.job_id, j.name AS job_name, g.gpu_id, g.gpu_model,
               ${greatest('g.assigned_at', '?')} AS start_at,
               ${least('COALESCE(g.released_at, ?)', '?')} AS end_at,
               CASE WHEN g.released_at IS NULL THEN 1 ELSE 0 END AS running
        FROM job_gpus g JOIN jobs j ON j.id = g.job_id LEFT JOIN deleted_tenants d ON d.id = j.deleted_tenant_id
        WHERE g.assigned_at < ? AND COALESCE(g.released_at, ?) > ?${tenant === null ? '' : ' AND (j.tenant_id = ? OR j.deleted_tenant_id = ?)'}
        ORDER BY start_at, g.job_id, g.gpu_id`, from, now, to, to, now, from, ...(tenant === null ? [] : [tenant, tenant]))
      const out: MeteredInterval[] = []
      const push = (iv: MeteredInterval): void => { if (iv.end > iv.start) out.push(iv) }
      for (const r of rows) {
        // Whole milliseconds (money is computed on integers), even if a writer stored a fraction.
        const start = Math.floor(num(r.start_at))
        const end = Math.floor(num(r.end_at))
        const iv: MeteredInterval = {
          tenantId: numOrNull(r.tenant_id),
          jobId: num(r.job_id),
          jobName: String(r.job_name),
          gpuId: num(r.gpu_id),
          gpuModel: strOrNull(r.gpu_model),
          start,
          end,
          running: num(r.running) === 1,
        }
        const deletedAt = numOrNull(r.deleted_at)
        if (iv.tenantId !== null || deletedAt === null) {
          push(iv)
          continue
        }
        // Split at the delete: before it the deleted tenant's, after it nobody's.
        const cut = Math.min(Math.max(Math.floor(deletedAt), start), end)
        push({ ...iv, tenantId: num(r.deleted_tenant_id), end: cut, running: iv.running && cut === end })
        if (tenant === null) push({ ...iv, start: cut })
      }
      return out
    },

    async createInvoice (input: NewInvoice) {
      // The billing lock serializes creators across replicas (SQLite: BEGIN IMMEDIATE, across
      // processes too); the partial unique index invoices_pending_period is the backstop.
      return db.tx(BILLING_LOCK, async q => {
        const existing = await q.one('SELECT * FROM invoices WHERE billed_tenant_id = ? AND period_start = ? AND period_end = ? ORDER BY id LIMIT 1',
          input.tenantId, input.periodStart, input.periodEnd)
        if (existing !== undefined) return { invoice: toInvoice(existing), created: false }
        if (input.priorInvoiceIds !== undefined) {
          const now = (await q.all('SELECT id FROM invoices WHERE billed_tenant_id = ? AND period_start < ? AND period_end > ? ORDER BY id',
            input.tenantId, input.periodEnd, input.periodStart)).map(r => num(r.id))
          const seen = [...input.priorInvoiceIds].sort((a, b) => a - b)
          if (now.length !== seen.length || now.some((id, i) => id !== seen[i])) throw new InvoiceOverlapChanged(input.tenantId)
        }
        // tenant_id is the foreign key (null for a tenant deleted already); billed_tenant_id stays.
        const r = await q.one(`INSERT INTO invoices (tenant_id, billed_tenant_id, tenant_name, period_start, period_end, days, total_gpu_seconds, total_gpu_ms,
            unpriced_gpu_ms, amount_cents, currency, status, line_items, created_at)
          VALUES ((SELECT id FROM tenants WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *`,
        input.tenantId, input.tenantId, input.tenantName, input.periodStart, input.periodEnd, input.days, Math.round(input.totalGpuMs / 1000),
        input.totalGpuMs, input.unpricedGpuMs, input.amountCents, input.currency, linesJson(input.lineItems), input.createdAt)
        return { invoice: toInvoice(r!), created: true }
      })
    },

    async getInvoice (id) {
      return invoiceById(db, id)
    },

    async listInvoices (q: InvoiceQuery = {}) {
      const where: string[] = []
      const args: unknown[] = []
      if (q.tenantId !== undefined) { where.push('billed_tenant_id = ?'); args.push(q.tenantId) }
      if (q.createdFrom !== undefined) { where.push('created_at >= ?'); args.push(q.createdFrom) }
      if (q.createdTo !== undefined) { where.push('created_at < ?'); args.push(q.createdTo) }
      if (q.overlapping !== undefined) { where.push('period_start < ? AND period_end > ?'); args.push(q.overlapping.end, q.overlapping.start) }
      const sql = `SELECT * FROM invoices ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY created_at DESC, id DESC LIMIT ?`
      return (await db.all(sql, ...args, q.limit ?? 1000)).map(toInvoice)
    },

    async invoiceTotals (q = {}) {
      const where: string[] = []
      const args: unknown[] = []
      // Fixed SQL per filter combination; null (as from a JSON caller) is no filter, as undefined.
      if ((q.tenantId ?? null) !== null) { where.push('i.tenant_id = ?'); args.push(q.tenantId) }
      if ((q.createdFrom ?? null) !== null) { where.push('i.created_at >= ?'); args.push(q.createdFrom) }
      if ((q.createdTo ?? null) !== null) { where.push('i.created_at < ?'); args.push(q.createdTo) }
      // One row per tenant_id, so MAX(t.name) is the tenant's name; a deleted tenant's invoices
      // (tenant_id NULL) group by their name snapshot.
      const rows = await db.all(`
        SELECT i.tenant_id, COALESCE(MAX(t.name), MAX(i.tenant_name)) AS tenant_name, i.status,
               COUNT(*) AS n, COALESCE(SUM(i.amount_cents), 0) AS amount
        FROM invoices i LEFT JOIN tenants t ON t.id = i.tenant_id
        ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
        GROUP BY i.tenant_id, CASE WHEN i.tenant_id IS NULL THEN i.tenant_name END, i.status
        ORDER BY i.tenant_id IS NULL, i.tenant_id, tenant_name, i.status`, ...args)
      return rows.map((r): StatusTotal => ({
        tenantId: numOrNull(r.tenant_id),
        tenantName: strOrNull(r.tenant_name),
        status: String(r.status) as InvoiceStatus,
        count: num(r.n),
        amountCents: num(r.amount),
      }))
    },

    async setInvoiceStatus (id, to, from, at) {
      return db.tx(BILLING_LOCK, async q => {
        const current = await invoiceById(q, id)
        if (current === null) return { kind: 'not-found' as const }
        if (current.status === to) return { kind: 'unchanged' as const, invoice: current }
        if (!from.includes(current.status)) return { kind: 'refused' as const, invoice: current }
        try {
          const r = await q.one('UPDATE invoices SET status = ?, status_changed_at = ? WHERE id = ? RETURNING *', to, at, id)
          return { kind: 'updated' as const, invoice: toInvoice(r!), from: current.status }
        } catch (err) {
          // Back to pending while another pending invoice holds the period (invoices_pending_period).
          // Nothing else was written: on PostgreSQL the aborted transaction's COMMIT rolls back.
          if (db.dialect.isUniqueViolation(err)) return { kind: 'refused' as const, invoice: current }
          throw err
        }
      })
    },

    async claimPaymentLink (id, at, staleBefore) {
      const r = await db.one(`UPDATE invoices SET payment_link_claimed_at = ?, payment_link_attempts = payment_link_attempts + 1
        WHERE id = ? AND stripe_payment_url IS NULL AND status <> 'paid'
          AND (payment_link_claimed_at IS NULL OR payment_link_claimed_at < ?)
        RETURNING payment_link_attempts`, at, id, staleBefore)
      return r === undefined ? null : num(r.payment_link_attempts)
    },

    async recordPaymentLink (id, link) {
      const r = await db.one(`UPDATE invoices SET payment_provider = ?, payment_link_id = ?, stripe_payment_url = ?,
          payment_link_error = NULL, payment_link_claimed_at = NULL
        WHERE id = ? RETURNING *`, link.provider, link.linkId, link.url, id)
      if (r === undefined) throw new Error(`invoice ${id} vanished while its payment link was created`)
      return toInvoice(r)
    },

    async recordPaymentLinkFailure (id, provider, message) {
      const r = await db.one(`UPDATE invoices SET payment_provider = ?, payment_link_error = ?, payment_link_claimed_at = NULL
        WHERE id = ? RETURNING *`, provider, message.slice(0, 500), id)
      if (r === undefined) throw new Error(`invoice ${id} vanished while its payment link was created`)
      return toInvoice(r)
    },

    async unlinkTenant (tenantId) {
      return db.tx(BILLING_LOCK, async q => {
        await q.run('UPDATE invoices SET tenant_name = COALESCE(tenant_name, (SELECT name FROM tenants WHERE id = ?)) WHERE tenant_id = ?', tenantId, tenantId)
        return q.run('UPDATE invoices SET tenant_id = NULL WHERE tenant_id = ?', tenantId)
      })
    },
  }
}
