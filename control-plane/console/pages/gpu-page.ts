import { html } from 'hono/html'
import { httpError } from '../../../shared/error-codes.ts'
import type { ConsoleGet } from '../console-api.ts'
import type { Html } from '../console-layout.ts'
import { historyCharts, historyTable, rangeOf, rangePicker } from './gpu-history-section.ts'
import { idOf } from './node-page.ts'

/** One GPU of a node, named by its index there: average and maximum over the range picked. */
export async function gpuPage (get: ConsoleGet, query: (name: string) => string | undefined): Promise<Html> {
  const node = idOf(query('node'), 'node')
  const raw = query('index')
  if (raw === undefined || !/^[0-9]{1,4}$/.test(raw)) throw httpError('VALIDATION_FAILED', 'index: must be a GPU index (0, 1, …)')
  const index = Number(raw)
  const range = rangeOf(query('range'))
  const src = `/api/nodes/${node}/gpu-history?range=${range}&gpu=${index}`
  const h = await get(src)
  const g = h.gpus[0]
  return html`<p class="lead"><strong>GPU ${index}</strong>${g?.model == null ? '' : html` · ${g.model}`} of <a href="/node?id=${node}&amp;range=${range}">${h.hostname}</a>${g?.uuid == null ? '' : html` · <code>${g.uuid}</code>`}</p>
${rangePicker(`/gpu?node=${node}&index=${index}`, range)}
<section aria-labelledby="hist-h"><h2 id="hist-h">History: average and maximum per step</h2>
${historyCharts(src, `GPU ${index} of ${h.hostname}`)}
${historyTable(h, i => `/gpu?node=${node}&index=${i}&range=${range}`)}
</section>`
}
