import { html } from 'hono/html'
import type { ConsoleGet } from '../console-api.ts'
import type { Html } from '../console-layout.ts'
import { dash, num, when } from '../format.ts'

const RANGES = [1, 7, 30]
const BUCKETS = [1, 5, 15, 60, 360, 1440]

/**
 * GPU telemetry: the latest sample per GPU (seed 000's GET /api/gpu-stats), rendered here and
 * then polled at 1 Hz by the client script; the power-over-time chart reads
 * /api/gpu-stats/power-history with the range and bucket picked.
 */
export async function telemetryPage (get: ConsoleGet, query: (name: string) => string | undefined): Promise<Html> {
  const days = pick(query('days'), RANGES, 1)
  const bucket = pick(query('bucket_minutes'), BUCKETS, 5)
  const [rows, clusters] = await Promise.all([get<any[]>('/api/gpu-stats'), get<any[]>('/api/clusters')])
  // The chart is the whole fleet's unless a cluster is picked (it used to say "cluster" for the fleet's sum).
  const picked = clusters.find(c => String(c.id) === query('cluster_id'))
  const scope = picked === undefined ? 'the whole fleet' : `cluster ${picked.name}`
  return html`
<section aria-labelledby="power-h"><h2 id="power-h">Power over time</h2>
<form class="inline" id="power-form" data-chart-form="power">
  <label for="scope">Scope</label> <select id="scope" name="cluster_id"><option value="">Whole fleet</option>${clusters.map(c => html`<option value="${c.id}"${c === picked ? ' selected' : ''}>Cluster ${c.name}</option>`)}</select>
  <label for="days">Range</label> <select id="days" name="days">${RANGES.map(d => html`<option value="${d}"${d === days ? ' selected' : ''}>${d === 1 ? 'last 24 hours' : `last ${d} days`}</option>`)}</select>
  <label for="bucket">Bucket</label> <select id="bucket" name="bucket_minutes">${BUCKETS.map(b => html`<option value="${b}"${b === bucket ? ' selected' : ''}>${b < 60 ? `${b} min` : `${b / 60} h`}</option>`)}</select>
  <button type="submit">Show</button>
</form>
<figure><div class="chart" id="power-chart" data-chart="power" data-src="/api/gpu-stats/power-history?days=${days}&amp;bucket_minutes=${bucket}${picked === undefined ? '' : html`&amp;cluster_id=${picked.id}`}" role="img" aria-label="Power draw in watts of ${scope} over time (maximum per bucket of the sum over GPUs at each sample)"></div>
<figcaption>Power of <span id="power-scope">${scope}</span>: per bucket the maximum of the per-second sum over its GPUs, so short spikes stay visible.</figcaption></figure>
</section>
<section aria-labelledby="live-h"><h2 id="live-h">Latest sample per GPU <small id="gpu-live-age" class="muted">live, every second</small></h2>
<table id="gpu-live" data-live-src="/api/gpu-stats"><caption class="sr">Latest sample per GPU</caption>
<thead><tr><th scope="col">Node</th><th scope="col">GPU</th><th scope="col">Name</th><th scope="col" class="n">Util %</th><th scope="col" class="n">Temp °C</th><th scope="col" class="n">Power W</th><th scope="col" class="n">Memory MiB</th><th scope="col">Recorded</th></tr></thead>
<tbody>${rows.map(r => html`<tr><td>${r.hostname ?? dash}</td><td>${r.gpu_id}</td><td>${r.name}</td><td class="n">${num(r.utilization_pct)}</td><td class="n${(r.temp_c ?? 0) >= 85 ? ' bad' : ''}">${num(r.temp_c)}</td><td class="n">${num(r.power_draw_w, 1)}</td><td class="n">${num(r.memory_used_mb)} / ${num(r.memory_total_mb)}</td><td>${when(r.recorded_at)}</td></tr>`)}</tbody>
</table>
${rows.length === 0 ? html`<p>No samples yet.</p>` : ''}
</section>`
}

function pick (raw: string | undefined, allowed: readonly number[], fallback: number): number {
  const n = Number(raw)
  return allowed.includes(n) ? n : fallback
}
