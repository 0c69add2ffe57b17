import { html } from 'hono/html'
import type { ConsoleGet } from '../console-api.ts'
import type { Html } from '../console-layout.ts'
import { dash, num, usd, when } from '../format.ts'

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

/** Analytics (seed 001): history tables by kind with paging, the per-day chart and table, and the source-alias editor. */
export async function analyticsPage (get: ConsoleGet, query: (name: string) => string | undefined): Promise<Html> {
  const kind = (KINDS as readonly string[]).includes(query('kind') ?? '') ? query('kind')! : 'compute'
  const offset = /^[0-9]{1,7}$/.test(query('offset') ?? '') ? Number(query('offset')) : 0
  const [history, summary, env] = await Promise.all([
    get(`/v1/history/${kind}?limit=${PAGE}&offset=${offset}`),
    get('/v1/history/summary'),
    get<any[]>('/v1/global-env'),
  ])
  const columns = kind === 'inference' ? INFERENCE_COLUMNS : kind === 'endpoints' ? ENDPOINT_COLUMNS : GPU_COLUMNS
  const aliases = env.find(e => e.key === 'ANALYTICS_SOURCE_ALIASES')?.value ?? '{}'
  const days = [...summary.rows].reverse()
  return html`
<section aria-labelledby="day-h"><h2 id="day-h">Per day, last 30 days (${summary.tz})</h2>
<figure><div class="chart" data-chart="summary" data-src="/v1/history/summary" role="img" aria-label="Inference requests and GPU hours per day"></div></figure>
<details><summary>Per-day table</summary><table><caption class="sr">Per-day totals</caption>
<thead><tr><th scope="col">Day</th><th scope="col" class="n">Inference requests</th><th scope="col" class="n">Errors</th><th scope="col" class="n">Tokens in</th><th scope="col" class="n">Tokens out</th><th scope="col" class="n">GPU jobs</th><th scope="col" class="n">GPU hours</th><th scope="col" class="n">Cost</th></tr></thead>
<tbody>${days.map((d: any) => html`<tr><th scope="row">${d.date}</th><td class="n">${num(d.inference_requests)}</td><td class="n">${num(d.errors)}</td><td class="n">${num(d.tokens_in)}</td><td class="n">${num(d.tokens_out)}</td><td class="n">${num(d.gpu_jobs)}</td><td class="n">${num(d.gpu_hours, 2)}</td><td class="n">${usd(d.cost)}</td></tr>`)}</tbody></table></details>
</section>
<section aria-labelledby="hist-h"><h2 id="hist-h">History</h2>
<form class="inline" method="get" action="/analytics"><label>Kind <select name="kind">${KINDS.map(k => html`<option value="${k}"${k === kind ? ' selected' : ''}>${k}</option>`)}</select></label> <button type="submit">Show</button></form>
<table><caption class="sr">${kind} history, newest first</caption>
<thead><tr>${columns.map(([h, , n]) => html`<th scope="col"${n === true ? html` class="n"` : ''}>${h}</th>`)}</tr></thead>
<tbody>${history.jobs.map((r: any) => html`<tr>${columns.map(([, cell, n]) => html`<td${n === true ? html` class="n"` : ''}>${cell(r)}</td>`)}</tr>`)}</tbody></table>
${history.jobs.length === 0 ? html`<p>No ${kind} records.</p>` : ''}
<p>${offset > 0 ? html`<a href="/analytics?kind=${kind}&amp;offset=${Math.max(0, offset - PAGE)}">Newer</a> ` : ''}${history.has_more === true ? html`<a href="/analytics?kind=${kind}&amp;offset=${offset + PAGE}">Older</a>` : ''}</p>
</section>
<section aria-labelledby="alias-h"><h2 id="alias-h">Source aliases</h2>
<form data-api="/v1/global-env/ANALYTICS_SOURCE_ALIASES" data-method="PUT" data-success="Aliases saved">
  <label for="aliases">ANALYTICS_SOURCE_ALIASES (JSON object: source hostname → label)</label>
  <textarea id="aliases" name="value" rows="6" cols="60" spellcheck="false">${aliases}</textarea>
  <button type="submit">Save aliases</button>
</form></section>`
}
