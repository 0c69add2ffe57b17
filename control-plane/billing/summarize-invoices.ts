import type { StatusTotal } from '../store/billing-repository.ts'
import { countedMoneyJson } from './render-billing.ts'

type Counted = ReturnType<typeof countedMoneyJson>

interface Buckets {
  total_invoiced: Counted
  paid: Counted
  pending: Counted
  overdue: Counted
}

function bucketsOf (rows: readonly StatusTotal[]): Buckets {
  const sum = (pick: (r: StatusTotal) => boolean) => {
    const picked = rows.filter(pick)
    return countedMoneyJson(picked.reduce((s, r) => s + r.amountCents, 0), picked.reduce((s, r) => s + r.count, 0))
  }
  return {
    total_invoiced: sum(() => true),
    paid: sum(r => r.status === 'paid'),
    pending: sum(r => r.status === 'pending'),
    overdue: sum(r => r.status === 'overdue'),
  }
}

/** The billing summary's figures from per-(tenant, status) totals: overall and per tenant, in the same shape. */
export function summarizeInvoices (totals: readonly StatusTotal[]) {
  const tenants = new Map<string, { tenant_id: number | null, tenant_name: string | null, rows: StatusTotal[] }>()
  for (const r of totals) {
    // Deleted tenants' invoices have no tenant id; their name snapshot keeps them apart.
    const key = r.tenantId === null ? `name:${r.tenantName ?? ''}` : `id:${r.tenantId}`
    const t = tenants.get(key) ?? { tenant_id: r.tenantId, tenant_name: r.tenantName, rows: [] }
    t.rows.push(r)
    tenants.set(key, t)
  }
  return {
    overall: bucketsOf(totals),
    perTenant: [...tenants.values()].map(t => ({ tenant_id: t.tenant_id, tenant_name: t.tenant_name, ...bucketsOf(t.rows) })),
  }
}
