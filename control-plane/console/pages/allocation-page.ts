import { html } from 'hono/html'
import type { ConsoleGet } from '../console-api.ts'
import { live, type Html } from '../console-layout.ts'
import { dash, num, pct, when } from '../format.ts'

/** What a GPU is doing for whoever holds it, in a word an operator scans for. */
type Use = 'idle-allocated' | 'idle-now' | 'busy' | 'unknown' | 'free' | 'offline'

const USE_TEXT: Record<Use, string> = {
  'idle-allocated': 'allocated, idle',
  'idle-now': 'allocated, idle now',
  busy: 'allocated, busy',
  unknown: 'allocated, utilization unknown',
  free: 'free',
  offline: 'node offline',
}

/**
 * Allocation: which job and tenant holds each GPU (GET /api/dashboard/gpu-allocation), with
 * the GPUs that are held but idle marked: "idle" when the leakage report lists them (below
 * 10 % for the whole last 30 min, dashboards/is-idle-allocated.ts), "idle now" when only the
 * newest reading is (a job may be loading). Refreshed every 15 s: the leakage report also
 * computes the 24-hour tenant means and billing gaps, and idleness is judged over 30 min anyway.
 */
export async function allocationPage (get: ConsoleGet, now: number): Promise<Html> {
  return live('allocation', 15_000, await allocationFragment(get, now))
}

export async function allocationFragment (get: ConsoleGet, now: number): Promise<Html> {
  const [map, leakage] = await Promise.all([get('/api/dashboard/gpu-allocation'), get('/api/dashboard/leakage')])
  const idle = new Map<number, any>(leakage.idle_allocated_gpus.map((g: any) => [g.gpu_id, g]))
  const use = (g: any): Use => {
    if (g.node_status !== 'online') return 'offline'
    if (g.job === null) return 'free'
    if (idle.has(g.gpu_id)) return 'idle-allocated'
    return g.status === 'active' ? 'busy' : g.status === 'idle' ? 'idle-now' : 'unknown'
  }
  const rows = map.gpus.map((g: any) => ({ ...g, use: use(g) }))
  const count = (u: Use) => rows.filter((r: any) => r.use === u).length
  const jobs = new Map<number, { job: any, gpus: any[] }>()
  for (const r of rows) {
    if (r.job === null) continue
    const entry = jobs.get(r.job.id) ?? { job: r.job, gpus: [] }
    entry.gpus.push(r)
    jobs.set(r.job.id, entry)
  }
  return html`<dl class="kpis">
  <div><dt>Allocated</dt><dd>${map.allocated_gpus} / ${map.total_gpus}<small>GPUs held by running jobs</small></dd></div>
  <div><dt>Allocated, idle</dt><dd class="${count('idle-allocated') > 0 ? 'bad' : ''}">${count('idle-allocated')}<small>below ${leakage.windows.idle_below_pct} % for ${leakage.windows.idle_minutes} min (leakage)</small></dd></div>
  <div><dt>Allocated, idle now</dt><dd>${count('idle-now')}<small>idle in the newest reading only</small></dd></div>
  <div><dt>Allocated, busy</dt><dd>${count('busy')}<small>above 10 % now</small></dd></div>
  <div><dt>Free</dt><dd>${count('free')}<small>on online nodes</small></dd></div>
</dl>
<section aria-labelledby="alloc-jobs-h"><h2 id="alloc-jobs-h">By job</h2>
${jobs.size === 0 ? html`<p>No running job holds a GPU.</p>` : html`<table><caption class="sr">Running jobs and the GPUs they hold</caption>
<thead><tr><th scope="col">Job</th><th scope="col">Tenant</th><th scope="col">GPUs</th><th scope="col" class="n">Idle</th><th scope="col">Held since</th></tr></thead>
<tbody>${[...jobs.values()].map(({ job, gpus }) => {
    const idleCount = gpus.filter(g => g.use === 'idle-allocated' || g.use === 'idle-now').length
    return html`<tr data-alloc-job="${job.id}"><th scope="row"><a href="/jobs?job=${job.id}#log">${job.id} ${job.name}</a></th><td>${job.tenant_name ?? dash}</td><td>${gpuList(gpus)}</td><td class="n${idleCount > 0 ? ' bad' : ''}">${idleCount} of ${gpus.length}</td><td>${when(job.assigned_at, now)}</td></tr>`
  })}</tbody></table>`}
</section>
<section aria-labelledby="alloc-gpus-h"><h2 id="alloc-gpus-h">By GPU</h2>
<table class="allocation"><caption class="sr">Every GPU with the job and tenant holding it</caption>
<thead><tr><th scope="col">Cluster</th><th scope="col">Node</th><th scope="col" class="n">GPU</th><th scope="col">Model</th><th scope="col">State</th><th scope="col" class="n">Util now</th><th scope="col" class="n">Mean util 30 min</th><th scope="col">Job</th><th scope="col">Tenant</th><th scope="col">Held since</th></tr></thead>
<tbody>${rows.map((g: any) => html`<tr class="use-${g.use}" data-gpu="${g.hostname}/${g.gpu_index}"><td>${g.cluster_name}</td><th scope="row">${g.hostname}</th><td class="n">${g.gpu_index}</td><td>${g.model ?? dash}</td>
<td><span class="badge u-${g.use}">${USE_TEXT[g.use as Use]}</span></td><td class="n">${pct(g.utilization_pct)}</td><td class="n">${idle.has(g.gpu_id) ? `${num(idle.get(g.gpu_id).mean_utilization_pct, 1)} %` : dash}</td>
<td>${g.job === null ? dash : html`<a href="/jobs?job=${g.job.id}#log">${g.job.id} ${g.job.name}</a>`}</td><td>${g.job?.tenant_name ?? dash}</td><td>${g.job === null ? dash : when(g.job.assigned_at, now)}</td></tr>`)}</tbody></table>
${rows.length === 0 ? html`<p>No GPUs yet.</p>` : ''}
</section>`
}

/** `gpu-node-001: 0, 1, 2 · gpu-node-002: 0`: a job's GPUs by node and index. */
function gpuList (gpus: any[]): string {
  const byNode = new Map<string, number[]>()
  for (const g of gpus) byNode.set(g.hostname, [...(byNode.get(g.hostname) ?? []), g.gpu_index])
  return [...byNode].map(([host, idx]) => `${host}: ${idx.join(', ')}`).join(' · ')
}
