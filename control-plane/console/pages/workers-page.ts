import { html } from 'hono/html'
import type { ConsoleGet } from '../console-api.ts'
import type { Html } from '../console-layout.ts'
import { when } from '../format.ts'

/** Worker timeline: node and job lifecycle events of the last 24 hours (seed 001's worker events), newest first. */
export async function workersPage (get: ConsoleGet, now: number): Promise<Html> {
  const since = new Date(now - 86_400_000).toISOString()
  const page = await get(`/admin/worker-events?since=${encodeURIComponent(since)}&limit=20000`)
  const events = [...page.events].reverse().slice(0, 500)
  return html`<p class="muted">${page.count} events in the last 24 hours${page.count > events.length || page.truncated === true ? `, newest ${events.length} shown` : ''}.</p>
<ol class="timeline">${events.map((e: any) => html`<li class="ev-${e.kind}"><time datetime="${e.at}">${when(e.at)}</time> <strong>${e.kind.replaceAll('_', ' ')}</strong> ${e.hostname ?? ''}${e.gpu_id === null ? '' : ` GPU ${e.gpu_id}`}${e.job_id === null ? '' : ` job ${e.job_id}`}</li>`)}</ol>
${events.length === 0 ? html`<p>Nothing happened in the last 24 hours.</p>` : ''}`
}
