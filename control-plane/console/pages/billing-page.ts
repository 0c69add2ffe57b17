import { html } from 'hono/html'
import type { ConsoleGet } from '../console-api.ts'
import type { Html } from '../console-layout.ts'
import { dash, num, usd, when } from '../format.ts'

/** Billing: invoice totals and the latest invoices, the 30-day revenue chart, and leakage. */
export async function billingPage (get: ConsoleGet): Promise<Html> {
  const [summary, leakage] = await Promise.all([get('/api/billing/summary'), get('/api/dashboard/leakage')])
  const total = (label: string, v: any) => html`<div><dt>${label}</dt><dd>${usd(v.amount)}<small>${v.count} invoices</small></dd></div>`
  return html`
<section aria-labelledby="totals-h"><h2 id="totals-h">Invoices</h2>
<dl class="kpis">${total('Invoiced', summary.total_invoiced)}${total('Paid', summary.paid)}${total('Pending', summary.pending)}${total('Overdue', summary.overdue)}</dl>
<table><caption>Latest invoices</caption>
<thead><tr><th scope="col" class="n">Id</th><th scope="col">Tenant</th><th scope="col">Period</th><th scope="col" class="n">Amount</th><th scope="col">Status</th><th scope="col">Payment link</th></tr></thead>
<tbody>${summary.recent_invoices.map((i: any) => html`<tr><td class="n">${i.id}</td><td>${i.tenant_name}</td><td>${(i.period_start ?? '').slice(0, 10)} → ${(i.period_end ?? '').slice(0, 10)}</td><td class="n">${usd(i.amount)}</td><td><span class="badge s-${i.status}">${i.status}</span></td><td>${typeof i.stripe_payment_url === 'string' && /^https:\/\//.test(i.stripe_payment_url) ? html`<a href="${i.stripe_payment_url}" rel="noopener noreferrer">pay</a>` : dash}</td></tr>`)}</tbody></table>
${summary.recent_invoices.length === 0 ? html`<p>No invoices yet.</p>` : ''}
</section>
<section aria-labelledby="rev-h"><h2 id="rev-h">Revenue, last 30 days</h2>
<figure><div class="chart" data-chart="revenue" data-src="/api/dashboard/revenue?days=30" role="img" aria-label="Daily revenue in US dollars over the last 30 days"></div>
<figcaption>Metered GPU time × the rate card, per UTC day.</figcaption></figure>
</section>
<section aria-labelledby="leak-h"><h2 id="leak-h">Leakage</h2>
<dl class="kpis"><div><dt>Idle allocated GPUs</dt><dd class="${leakage.totals.idle_allocated_gpus > 0 ? 'bad' : ''}">${leakage.totals.idle_allocated_gpus}</dd></div>
<div><dt>Billing gaps</dt><dd class="${leakage.totals.billing_gaps > 0 ? 'bad' : ''}">${leakage.totals.billing_gaps}</dd></div>
<div><dt>Under-used tenants</dt><dd>${leakage.totals.underutilized_tenants}</dd></div>
<div><dt>Estimated loss</dt><dd>${usd(leakage.totals.estimated_loss_usd)}</dd></div></dl>
${leakage.idle_allocated_gpus.length === 0 ? '' : html`<table><caption>Idle allocated GPUs (below ${leakage.windows.idle_below_pct} % for ${leakage.windows.idle_minutes} min)</caption>
<thead><tr><th scope="col">GPU</th><th scope="col">Job</th><th scope="col">Tenant</th><th scope="col">Allocated since</th><th scope="col" class="n">Mean util %</th><th scope="col" class="n">Est. loss</th></tr></thead>
<tbody>${leakage.idle_allocated_gpus.slice(0, 100).map((g: any) => html`<tr><td>${g.hostname} #${g.gpu_index}</td><td>${g.job_id} ${g.job_name}</td><td>${g.tenant_name ?? dash}</td><td>${when(g.allocated_since)}</td><td class="n">${num(g.mean_utilization_pct, 1)}</td><td class="n">${usd(g.estimated_loss_usd)}</td></tr>`)}</tbody></table>`}
${leakage.billing_gaps.length === 0 ? '' : html`<table><caption>Metered vs billed gaps over ${leakage.windows.billing_gap_pct} %</caption>
<thead><tr><th scope="col">Invoice</th><th scope="col">Tenant</th><th scope="col" class="n">Metered</th><th scope="col" class="n">Billed</th><th scope="col" class="n">Gap</th><th scope="col">Direction</th></tr></thead>
<tbody>${leakage.billing_gaps.map((g: any) => html`<tr><td>${g.invoice_id}</td><td>${g.tenant_name ?? g.tenant_id}</td><td class="n">${usd(g.metered_amount)}</td><td class="n">${usd(g.billed_amount)}</td><td class="n">${num(g.discrepancy_pct, 1)} %</td><td>${g.direction.replace('_', ' ')}</td></tr>`)}</tbody></table>`}
${leakage.underutilized_tenants.length === 0 ? '' : html`<table><caption>Tenants under ${leakage.windows.underutilized_below_pct} % utilization over ${leakage.windows.underutilized_hours} h</caption>
<thead><tr><th scope="col">Tenant</th><th scope="col" class="n">GPU hours</th><th scope="col" class="n">Mean utilization</th></tr></thead>
<tbody>${leakage.underutilized_tenants.map((u: any) => html`<tr><td>${u.tenant_name}</td><td class="n">${num(u.gpu_hours, 1)}</td><td class="n">${num(u.mean_utilization_pct, 1)} %</td></tr>`)}</tbody></table>`}
${(leakage.unallocated_gpu_use ?? []).length === 0 ? '' : html`<table><caption>Unallocated GPU use (GPU processes no allocation covers)</caption>
<thead><tr><th scope="col">GPU</th><th scope="col">Process</th><th scope="col" class="n">Memory MiB</th><th scope="col">Kind</th><th scope="col">Job</th><th scope="col">Since</th></tr></thead>
<tbody>${leakage.unallocated_gpu_use.slice(0, 100).map((p: any) => html`<tr><td>${p.hostname} #${p.gpu_index ?? p.gpu_uuid}</td><td>${p.pid} ${p.process_name}</td><td class="n">${p.used_memory_mib ?? dash}</td><td>${p.kind.replace('_', ' ')}</td><td>${p.job_id ?? dash}</td><td>${when(p.since)}</td></tr>`)}</tbody></table>`}
<p class="muted">Computed ${when(leakage.generated_at)}</p>
</section>`
}
