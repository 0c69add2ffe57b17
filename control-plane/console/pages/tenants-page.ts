import { html } from 'hono/html'
import { PLAN_TIERS, TENANT_STATUSES } from '../../../shared/wire/enums.ts'
import type { ConsoleGet } from '../console-api.ts'
import { live, type Html } from '../console-layout.ts'
import { num, usd, when } from '../format.ts'

/**
 * Tenants: quota bars (GPUs held now vs quota), the last 30 days' metered usage, and the
 * tenant forms (create; edit name, quota, plan, status, contact; delete) sent to seed 003's
 * /api/tenants routes. The forms do not validate in the browser (novalidate): the API judges
 * every input and its 4xx message is shown beside the form.
 */
export async function tenantsPage (get: ConsoleGet): Promise<Html> {
  return html`
<section aria-labelledby="tenants-h"><h2 id="tenants-h" class="sr">Tenants</h2>${live('tenants', null, await tenantsFragment(get))}</section>
<section aria-labelledby="new-tenant-h"><h2 id="new-tenant-h">Add a tenant</h2>
<form class="grid" novalidate data-api="/api/tenants" data-method="POST" data-refresh="tenants" data-success="Tenant created">
  <label>Name <input name="name" maxlength="128" autocomplete="off"></label>
  <label>GPU quota <input name="gpu_quota" type="number" min="1" value="8" data-type="int"></label>
  <label>Contact email <input name="contact_email" type="email" maxlength="254" autocomplete="off" data-type="string-or-omit"></label>
  <label>Plan ${select('plan_tier', PLAN_TIERS, 'starter')}</label>
  <label>Status ${select('status', TENANT_STATUSES, 'active')}</label>
  <button type="submit">Create tenant</button>
  <p class="form-error error" role="alert"></p>
</form></section>`
}

export async function tenantsFragment (get: ConsoleGet): Promise<Html> {
  const [tenants, revenue] = await Promise.all([get<any[]>('/api/tenants'), get('/api/dashboard/revenue?days=30')])
  const usage = new Map<number, any>(revenue.per_tenant.map((p: any) => [p.tenant_id, p]))
  return html`
<table><caption>Tenants, quota in use now and usage over the last 30 days</caption>
<thead><tr><th scope="col">Tenant</th><th scope="col">Plan</th><th scope="col">Status</th><th scope="col">Quota in use</th><th scope="col" class="n">Running</th><th scope="col" class="n">Waiting</th><th scope="col" class="n">GPU hours (30 d)</th><th scope="col" class="n">Revenue (30 d)</th><th scope="col">Created</th><th scope="col">Action</th></tr></thead>
<tbody>${tenants.map(t => {
    const u = usage.get(t.id)
    const share = t.gpu_quota > 0 ? Math.round(100 * t.gpus_in_use / t.gpu_quota) : 0
    return html`<tr data-tenant-id="${t.id}"><th scope="row">${t.name}</th><td>${t.plan_tier}</td><td>${t.status === 'active' ? t.status : html`<span class="badge bad">${t.status}</span>`}</td>
<td><meter min="0" max="${t.gpu_quota}" low="${Math.ceil(t.gpu_quota * 0.7)}" high="${Math.ceil(t.gpu_quota * 0.9)}" optimum="0" value="${t.gpus_in_use}" aria-label="${t.name}: ${t.gpus_in_use} of ${t.gpu_quota} GPUs">${share} %</meter> ${t.gpus_in_use} / ${t.gpu_quota} GPUs</td>
<td class="n">${t.running_jobs}</td><td class="n">${t.queued_jobs}${t.blocked_jobs > 0 ? html` <small>(${t.blocked_jobs} blocked)</small>` : ''}</td>
<td class="n">${num(u?.gpu_hours, 1)}</td><td class="n">${usd(u?.revenue)}</td><td>${when(t.created_at)}</td>
<td>${editForm(t)}</td></tr>`
  })}</tbody></table>
${tenants.length === 0 ? html`<p>No tenants yet: add one below.</p>` : ''}`
}

function editForm (t: any): Html {
  return html`<details class="edit"><summary>Edit<span class="sr"> tenant ${t.name}</span></summary>
<form class="stack" novalidate data-api="/api/tenants/${t.id}" data-method="PUT" data-refresh="tenants" data-success="Tenant ${t.name} updated" aria-label="Edit tenant ${t.name}">
  <label>Name <input name="name" maxlength="128" value="${t.name}" autocomplete="off"></label>
  <label>GPU quota <input name="gpu_quota" type="number" min="1" value="${t.gpu_quota}" data-type="int"></label>
  <label>Contact email <input name="contact_email" type="email" maxlength="254" value="${t.contact_email ?? ''}" autocomplete="off" data-type="string-or-null"></label>
  <label>Plan ${select('plan_tier', PLAN_TIERS, t.plan_tier)}</label>
  <label>Status ${select('status', TENANT_STATUSES, t.status)}</label>
  <button type="submit">Save<span class="sr"> tenant ${t.name}</span></button>
  <p class="form-error error" role="alert"></p>
</form>
<button type="button" class="danger" data-api="/api/tenants/${t.id}" data-method="DELETE" data-confirm="Delete tenant ${t.name}? Its jobs stay, without a tenant." data-refresh="tenants" data-success="Tenant ${t.name} deleted">Delete<span class="sr"> tenant ${t.name}</span></button>
</details>`
}

function select (name: string, values: readonly string[], chosen: string): Html {
  return html`<select name="${name}">${values.map(v => html`<option value="${v}"${v === chosen ? ' selected' : ''}>${v}</option>`)}</select>`
}
