import { html } from 'hono/html'
import type { ConsoleGet } from '../console-api.ts'
import { live, type Html } from '../console-layout.ts'
import { dash, gb, num, pct, when } from '../format.ts'

// The health_degraded rule's default: a GPU this hot stands out even before an alert fires.
const HOT_C = 85

/** Fleet: KPIs, then clusters → nodes → GPUs, refreshed every 5 s. */
export async function fleetPage (get: ConsoleGet): Promise<Html> {
  return live('fleet', 5000, await fleetFragment(get))
}

export async function fleetFragment (get: ConsoleGet): Promise<Html> {
  const [kpis, overview] = await Promise.all([get('/api/dashboard/kpis'), get('/api/dashboard')])
  const s = overview.summary
  return html`
<section aria-labelledby="kpi-h"><h2 id="kpi-h">Key figures</h2>
<dl class="kpis">
  <div><dt>Fleet utilization</dt><dd>${pct(kpis.fleet_utilization.percentage)}<small>${kpis.fleet_utilization.active_gpus} of ${kpis.fleet_utilization.total_gpus} GPUs active</small></dd></div>
  <div><dt>Fleet health</dt><dd class="${kpis.fleet_health.status === 'healthy' ? '' : 'bad'}">${kpis.fleet_health.healthy} / ${kpis.fleet_health.total}<small>GPUs healthy (${kpis.fleet_health.status.replace('_', ' ')})</small></dd></div>
  <div><dt>Quota in use</dt><dd>${pct(kpis.quota_utilization.percentage)}<small>${kpis.quota_utilization.gpus_in_use} of ${kpis.quota_utilization.total_quota} GPUs</small></dd></div>
  <div><dt>Revenue leakage</dt><dd>${pct(kpis.revenue_leakage.percentage)}<small>${kpis.revenue_leakage.idle_allocated_gpus} idle allocated GPUs</small></dd></div>
  <div><dt>Jobs</dt><dd>${kpis.active_jobs.running}<small>running · ${kpis.active_jobs.queued} queued · ${kpis.active_jobs.blocked} blocked</small></dd></div>
  <div><dt>Power now</dt><dd>${num(s.power_draw_w)} W<small>avg ${pct(s.avg_utilization_pct)} util · ${num(s.avg_temperature_c)} °C</small></dd></div>
  <div><dt>Nodes</dt><dd class="${s.nodes_offline > 0 ? 'bad' : ''}">${s.nodes_online} / ${s.nodes}<small>online · ${s.nodes_offline} offline · ${s.active_alerts} active alerts</small></dd></div>
</dl></section>
<section aria-labelledby="clusters-h"><h2 id="clusters-h">Clusters</h2>
${overview.clusters.length === 0 ? html`<p>No clusters yet: start an agent (<code>gpufleet agent</code>) or create one with <code>POST /api/clusters</code>.</p>` : ''}
${overview.clusters.map((c: any) => cluster(c))}
</section>
<p class="muted">Updated ${when(overview.generated_at)}</p>`
}

function cluster (c: any): Html {
  const offline = c.nodes.filter((n: any) => n.status !== 'online').length
  return html`<details open class="cluster"><summary><strong>${c.name}</strong> · ${c.region ?? 'no region'} · ${c.nodes.length} nodes${offline > 0 ? html` · <span class="bad">${offline} offline</span>` : ''}</summary>
<table class="nodes"><caption class="sr">Nodes of cluster ${c.name}</caption>
<thead><tr><th scope="col">Node</th><th scope="col">Status</th><th scope="col">Last seen</th><th scope="col">GPUs (utilization · temperature · power · memory used/total GB)</th><th scope="col">Per-GPU history</th><th scope="col">Action</th></tr></thead>
<tbody>${c.nodes.map((n: any) => node(n))}</tbody></table></details>`
}

function node (n: any): Html {
  const offline = n.status !== 'online'
  return html`<tr class="${offline ? 'offline' : ''}"><th scope="row">${n.hostname}</th>
<td>${offline ? html`<span class="badge bad">offline</span>` : html`<span class="badge ok">online</span>`}${drainedBadge(n)}</td>
<td>${when(n.last_seen_at)}</td>
<td><ul class="gpus">${n.gpus.map((g: any) => gpu(g, n))}</ul></td>
<td><a href="/node?id=${n.id}" aria-label="History of ${n.hostname}">history</a></td>
<td class="actions">${nodeActions(n)}</td></tr>`
}

const drainedBadge = (n: any): Html | string => n.drained_at === null || n.drained_at === undefined ? '' : html` <span class="badge drained" title="No new jobs are placed on it">drained</span>`

/** Drain or resume (POST /api/nodes/:id/drain|resume) and delete (DELETE /api/nodes/:id, 409 while jobs run there). */
function nodeActions (n: any): Html {
  const drained = n.drained_at !== null && n.drained_at !== undefined
  return html`${drained
    ? html`<button type="button" data-api="/api/nodes/${n.id}/resume" data-method="POST" data-refresh="fleet" data-success="Node ${n.hostname} resumed: jobs may be placed on it again">Resume<span class="sr"> node ${n.hostname}</span></button>`
    : html`<button type="button" data-api="/api/nodes/${n.id}/drain" data-method="POST" data-confirm="Drain ${n.hostname}? No new jobs are placed on it; running jobs finish." data-refresh="fleet" data-success="Node ${n.hostname} drained">Drain<span class="sr"> node ${n.hostname}</span></button>`}
<button type="button" class="danger" data-api="/api/nodes/${n.id}" data-method="DELETE" data-confirm="Delete ${n.hostname} with its GPUs? Refused while jobs run there. An agent still running on the host registers it again." data-refresh="fleet" data-success="Node ${n.hostname} deleted">Delete<span class="sr"> node ${n.hostname}</span></button>`
}

/** `MIG 3g.40gb · 2g.20gb · 1g.10gb ×2`: the GPU's MIG devices by profile (utilization is N/A under MIG). */
function migSummary (g: any): Html | string {
  if (g.mig_mode !== 'Enabled') return ''
  const counts = new Map<string, number>()
  for (const m of g.mig_instances ?? []) counts.set(m.profile ?? '?', (counts.get(m.profile ?? '?') ?? 0) + 1)
  const text = [...counts].map(([p, n]) => (n > 1 ? `${p} ×${n}` : p)).join(' · ')
  return html`<span class="mig">MIG ${text === '' ? 'devices not reported yet' : text}</span>`
}

function gpu (g: any, n: any): Html {
  const problems: string[] = []
  if (!g.fresh) problems.push(g.updated_at === null ? 'no reading' : 'stale reading')
  if ((g.ecc_errors_uncorrected ?? 0) > 0) problems.push('uncorrectable ECC errors')
  if (g.temperature_c !== null && g.temperature_c >= HOT_C) problems.push('hot')
  const label = `GPU ${g.gpu_index} ${g.model ?? ''}${problems.length > 0 ? ` — ${problems.join(', ')}` : ''}${g.job_id === null ? '' : ` — job ${g.job_id}`}`
  return html`<li class="gpu${problems.length > 0 ? ' unhealthy' : ''}${g.job_id === null ? '' : ' allocated'}" title="${label}">
<a class="idx" href="/gpu?node=${n.id}&amp;index=${g.gpu_index}" aria-label="History of GPU ${g.gpu_index} of ${n.hostname}">${g.gpu_index}</a><span>${pct(g.utilization_pct)}</span>${migSummary(g)}${g.fresh && g.status === 'unknown' ? html`<span class="muted">utilization unknown (not schedulable)</span>` : ''}<span>${g.temperature_c === null ? dash : `${num(g.temperature_c)} °C`}</span><span>${g.power_draw_w === null ? dash : `${num(g.power_draw_w)} W`}</span><span>${gb(g.memory_used_mb)}/${gb(g.memory_total_mb)}</span>${problems.length > 0 ? html`<span class="warn">⚠ ${problems.join(', ')}</span>` : ''}</li>`
}
