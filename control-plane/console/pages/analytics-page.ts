import { html } from 'hono/html'
import type { ConsoleGet } from '../console-api.ts'
import type { Html } from '../console-layout.ts'
import { dash, num, usd, when } from '../format.ts'
import { analyticsWindow } from './analytics-window.ts'
import { slurmSection } from './analytics-slurm-section.ts'

const KINDS = ['compute', 'training', 'benchmarks', 'serving', 'inference', 'endpoints'] as const
const PAGE = 50

type Column = [header: string, cell: (r: any) => unknown, numeric?: boolean]
const GPU_COLUMNS: Column[] = [
  ['Id', r => r.id, true], ['Name', r => r.name], ['Tenant', r => r.tenant ?? dash], ['Status', r => r.status],
  ['GPUs', r => `${r.gpu_count}${r.gpu_type === null ? '' : ` ${r.gpu_type}`}`], ['Source', r => r.label ?? r.source ?? dash],
  ['Submitted', r => when(r.submitted_at)], ['Duration s', r => num(r.duration_s), true], ['GPU hours', r => num(r.gpu_hours, 2), true], ['Cost', r => usd(r.cost), true],
]
const INFERENCE_COLUMNS: Column[] = [
  ['At', r => when(r.at)], ['Endpoint', r => r.endpoint], ['Model', r => r.model], ['Tenant', r => r.tenant ?? dash],
  ['Source', r => r.label ?? r.source ?? dash], ['Status', r => r.status], ['Tokens in', r => num(r.tokens_in), true],
  ['Tokens out', r => num(r.tokens_out), true], ['Latency ms', r => num(r.latency_ms), true],
]
const ENDPOINT_COLUMNS: Column[] = [
  ['Id', r => r.id, true], ['Name', r => r.name], ['Model', r => r.model ?? dash], ['Tenant', r => r.tenant ?? dash],
  ['Source', r => r.label ?? r.source ?? dash], ['Status', r => r.status ?? dash], ['Created', r => when(r.created_at)],
]

/**
 * Analytics (seed 001): the page loads through the session's four /api/analytics/* proxies in
 * parallel, as the seed's page does: the GPU Platform plane (history by kind with paging, the
 * per-day chart and table, with cost), the Slurm plane beside it (job counts, GPU-hours, per
 * day, how old the import is; no cost), worker events, and the source-alias editor.
 */
export async function analyticsPage (get: ConsoleGet, query: (name: string) => string | undefined, now: number): Promise<Html> {
  const kind = (KINDS as readonly string[]).includes(query('kind') ?? '') ? query('kind')! : 'compute'
  const offset = /^[0-9]{1,7}$/.test(query('offset') ?? '') ? Number(query('offset')) : 0
  const w = analyticsWindow(query('from'), query('to'), now)
  const range = `since=${encodeURIComponent(w.since)}&until=${encodeURIComponent(w.until)}`
  const [platform, slurm, aliases, events] = await Promise.all([
    get(`/api/analytics/gpuplatform?${range}&kind=${kind}&limit=${PAGE}&offset=${offset}`),
    get(`/api/analytics/slurm?${range}`),
    get('/api/analytics/aliases'),
    get(`/api/analytics/worker-events?${range}&limit=20000`),
  ])
  const history = platform.history[kind]
  const summary = platform.summary
  const columns = kind === 'inference' ? INFERENCE_COLUMNS : kind === 'endpoints' ? ENDPOINT_COLUMNS : GPU_COLUMNS
  const days = [...summary.rows].reverse()
  const keep = `from=${w.from}&amp;to=${w.to}`
  return html`
<form class="inline" method="get" action="/analytics"><label>From <input type="date" name="from" value="${w.from}"></label> <label>To <input type="date" name="to" value="${w.to}"></label> <input type="hidden" name="kind" value="${kind}"> <button type="submit">Show</button> <span class="muted">UTC days; the window ends at the end of the last day (until = end + 1 s)</span></form>
<div class="planes">
<section aria-labelledby="day-h"><h2 id="day-h">GPU Platform, per day (${summary.tz})</h2>
<figure><div class="chart" data-chart="summary" data-src="/api/analytics/gpuplatform?${range}&amp;limit=1" role="img" aria-label="Inference requests and GPU hours per day"></div></figure>
<details><summary>Per-day table</summary><table><caption class="sr">Per-day totals</caption>
<thead><tr><th scope="col">Day</th><th scope="col" class="n">Inference requests</th><th scope="col" class="n">Errors</th><th scope="col" class="n">Tokens in</th><th scope="col" class="n">Tokens out</th><th scope="col" class="n">GPU jobs</th><th scope="col" class="n">GPU hours</th><th scope="col" class="n">Cost</th></tr></thead>
<tbody>${days.map((d: any) => html`<tr><th scope="row">${d.date}</th><td class="n">${num(d.inference_requests)}</td><td class="n">${num(d.errors)}</td><td class="n">${num(d.tokens_in)}</td><td class="n">${num(d.tokens_out)}</td><td class="n">${num(d.gpu_jobs)}</td><td class="n">${num(d.gpu_hours, 2)}</td><td class="n">${usd(d.cost)}</td></tr>`)}</tbody></table></details>
</section>
${slurmSection(slurm, range)}
</div>
<section aria-labelledby="hist-h"><h2 id="hist-h">History</h2>
<form class="inline" method="get" action="/analytics"><input type="hidden" name="from" value="${w.from}"><input type="hidden" name="to" value="${w.to}"><label>Kind <select name="kind">${KINDS.map(k => html`<option value="${k}"${k === kind ? ' selected' : ''}>${k}</option>`)}</select></label> <button type="submit">Show</button></form>
<table><caption class="sr">${kind} history, newest first</caption>
<thead><tr>${columns.map(([h, , n]) => html`<th scope="col"${n === true ? html` class="n"` : ''}>${h}</th>`)}</tr></thead>
<tbody>${history.jobs.map((r: any) => html`<tr>${columns.map(([, cell, n]) => html`<td${n === true ? html` class="n"` : ''}>${cell(r)}</td>`)}</tr>`)}</tbody></table>
${history.jobs.length === 0 ? html`<p>No ${kind} records.</p>` : ''}
<p>${offset > 0 ? html`<a href="/analytics?${keep}&amp;kind=${kind}&amp;offset=${Math.max(0, offset - PAGE)}">Newer</a> ` : ''}${history.has_more === true ? html`<a href="/analytics?${keep}&amp;kind=${kind}&amp;offset=${offset + PAGE}">Older</a>` : ''}</p>
</section>
<section aria-labelledby="ev-h"><h2 id="ev-h">Worker events</h2>
<p>${num(events.count)} worker lifecycle events in the window${events.truncated === true ? ' (more than shown)' : ''}; see the <a href="/workers">worker timeline</a>.</p>
</section>
<section aria-labelledby="alias-h"><h2 id="alias-h">Source aliases</h2>
<form novalidate data-api="/api/analytics/aliases" data-method="PUT" data-success="Aliases saved">
  <label for="aliases">ANALYTICS_SOURCE_ALIASES (JSON object: source hostname → label)</label>
  <textarea id="aliases" name="value" rows="6" cols="60" spellcheck="false">${aliases.value}</textarea>
  <button type="submit">Save aliases</button>
  <p class="form-error error" role="alert"></p>
</form></section>`
}
