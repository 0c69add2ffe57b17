import { html } from 'hono/html'
import { httpError } from '../../../shared/error-codes.ts'
import type { ConsoleGet } from '../console-api.ts'
import type { Html } from '../console-layout.ts'
import { historyCharts, historyTable, rangeOf, rangePicker } from './gpu-history-section.ts'

/** A node: its GPUs' history over the range picked (GET /api/nodes/:id/gpu-history), each GPU linking to its own page. */
export async function nodePage (get: ConsoleGet, query: (name: string) => string | undefined): Promise<Html> {
  const id = idOf(query('id'), 'id')
  const range = rangeOf(query('range'))
  const src = `/api/nodes/${id}/gpu-history?range=${range}`
  const h = await get(src)
  return html`<p class="lead"><strong>${h.hostname}</strong> · node ${h.node_id} · ${h.gpus.length} GPUs · <a href="/">back to the fleet</a></p>
${rangePicker(`/node?id=${id}`, range)}
<section aria-labelledby="hist-h"><h2 id="hist-h">GPU history, one line per GPU</h2>
${historyCharts(src, `each GPU of ${h.hostname}`)}
${historyTable(h, index => `/gpu?node=${id}&index=${index}&range=${range}`)}
</section>`
}

/** A positive integer id from the query, or 400 naming the parameter. */
export function idOf (raw: string | undefined, name: string): number {
  if (raw === undefined || !/^[0-9]{1,15}$/.test(raw) || Number(raw) < 1) throw httpError('VALIDATION_FAILED', `${name}: must be a positive integer id`)
  return Number(raw)
}
