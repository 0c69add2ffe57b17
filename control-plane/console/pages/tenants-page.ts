import { html } from 'hono/html'
import type { ConsoleGet } from '../console-api.ts'
import type { Html } from '../console-layout.ts'
import { num, usd, when } from '../format.ts'

/** Tenants: quota bars (GPUs held now vs quota) and the last 30 days' metered usage. */
export async function tenantsPage (get: ConsoleGet): Promise<Html> {
  const [tenants, revenue] = await Promise.all([get<any[]>('/api/tenants'), get('/api/dashboard/revenue?days=30')])
  const usage = new Map<number, any>(revenue.per_tenant.map((p: any) => [p.tenant_id, p]))
  return html`
<table><caption>Tenants, quota in use now and usage over the last 30 days</caption>
<thead><tr><th scope="col">Tenant</th><th scope="col">Plan</th><th scope="col">Status</th><th scope="col">Quota in use</th><th scope="col" class="n">Running</th><th scope="col" class="n">Waiting</th><th scope="col" class="n">GPU hours (30 d)</th><th scope="col" class="n">Revenue (30 d)</th><th scope="col">Created</th></tr></thead>
<tbody>${tenants.map(t => {
    const u = usage.get(t.id)
    const share = t.gpu_quota > 0 ? Math.round(100 * t.gpus_in_use / t.gpu_quota) : 0
    return html`<tr><th scope="row">${t.name}</th><td>${t.plan_tier}</td><td>${t.status === 'active' ? t.status : html`<span class="badge bad">${t.status}</span>`}</td>
<td><meter min="0" max="${t.gpu_quota}" low="${Math.ceil(t.gpu_quota * 0.7)}" high="${Math.ceil(t.gpu_quota * 0.9)}" optimum="0" value="${t.gpus_in_use}" aria-label="${t.name}: ${t.gpus_in_use} of ${t.gpu_quota} GPUs">${share} %</meter> ${t.gpus_in_use} / ${t.gpu_quota} GPUs</td>
<td class="n">${t.running_jobs}</td><td class="n">${t.queued_jobs}${t.blocked_jobs > 0 ? html` <small>(${t.blocked_jobs} blocked)</small>` : ''}</td>
<td class="n">${num(u?.gpu_hours, 1)}</td><td class="n">${usd(u?.revenue)}</td><td>${when(t.created_at)}</td></tr>`
  })}</tbody></table>
${tenants.length === 0 ? html`<p>No tenants yet (<code>POST /api/tenants</code>).</p>` : ''}`
}
