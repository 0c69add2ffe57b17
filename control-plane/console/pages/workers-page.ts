import { html } from 'hono/html'
import type { ConsoleGet } from '../console-api.ts'
import type { Html } from '../console-layout.ts'
import { when } from '../format.ts'

/** Worker timeline: node and job lifecycle events of the last 24 hours (seed 001's worker events), newest first. */
export async function workersPage (get: ConsoleGet, now: number): Promise<Html> {
  const since = new Date(now - 86_400_000).toISOString()
  const [page, overview] = await Promise.all([get(`/admin/worker-events?since=${encodeURIComponent(since)}&limit=20000`), get('/api/dashboard')])
  // Events name a GPU by its database id; people know it by its index on the node.
  const index = new Map<number, number>()
  for (const c of overview.clusters) for (const n of c.nodes) for (const g of n.gpus) index.set(g.id, g.gpu_index)
  const gpu = (id: number | null): string => id === null ? '' : index.has(id) ? ` GPU ${index.get(id)}` : ' a GPU since removed'
  const events = [...page.events].reverse().slice(0, 500)
  return html`<p class="muted">${page.count} events in the last 24 hours${page.count > events.length || page.truncated === true ? `, newest ${events.length} shown` : ''}.</p>
<ol class="timeline">${events.map((e: any) => html`<li class="ev-${e.kind}">${when(e.at, now)} <strong>${e.kind.replaceAll('_', ' ')}</strong> ${e.hostname ?? ''}${gpu(e.gpu_id)}${e.job_id === null ? '' : ` job ${e.job_id}`}</li>`)}</ol>
${events.length === 0 ? html`<p>Nothing happened in the last 24 hours.</p>` : ''}`
}
