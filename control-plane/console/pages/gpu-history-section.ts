import { html } from 'hono/html'
import type { Html } from '../console-layout.ts'
import { dash, num } from '../format.ts'

export const HISTORY_RANGES = [['1h', 'last hour'], ['24h', 'last 24 hours'], ['7d', 'last 7 days'], ['30d', 'last 30 days']] as const
export type HistoryRange = typeof HISTORY_RANGES[number][0]

/** ?range= of the node and GPU pages; 24h when absent or not one of the four. */
export function rangeOf (raw: string | undefined): HistoryRange {
  return HISTORY_RANGES.some(([r]) => r === raw) ? raw as HistoryRange : '24h'
}

/** The range picker: links (the page re-renders with the range), the current one marked. */
export function rangePicker (base: string, range: HistoryRange): Html {
  return html`<nav aria-label="Range" class="ranges"><ul>${HISTORY_RANGES.map(([r, label]) =>
    html`<li><a href="${base}&amp;range=${r}"${r === range ? html` aria-current="true"` : ''}>${label}</a></li>`)}</ul></nav>`
}

const METRICS = [
  ['utilization', 'Utilization', '%'],
  ['temperature', 'Temperature', '°C'],
  ['memory', 'Memory used', 'GiB'],
  ['power', 'Power', 'W'],
] as const

/**
 * The four history charts over one API answer (`src`): per GPU on a node's page, average and
 * maximum on a GPU's page. console.js draws them (kind gpu-history, the metric in data-metric).
 */
export function historyCharts (src: string, what: string): Html {
  return html`${METRICS.map(([metric, title, unit]) => html`<figure><figcaption>${title} (${unit})</figcaption>
<div class="chart" data-chart="gpu-history" data-metric="${metric}" data-src="${src}" role="img" aria-label="${title} of ${what} over time, ${unit}"></div></figure>`)}`
}

/** Per GPU over the range: sample-weighted averages and the maxima of its points (what the charts show, in figures). */
export function historyTable (h: any, gpuLink: (index: number) => string): Html {
  return html`<table><caption>Per GPU over the ${HISTORY_RANGES.find(([r]) => r === h.range)?.[1] ?? h.range}</caption>
<thead><tr><th scope="col">GPU</th><th scope="col">Model</th><th scope="col" class="n">Util avg %</th><th scope="col" class="n">Util max %</th><th scope="col" class="n">Temp avg °C</th><th scope="col" class="n">Temp max °C</th><th scope="col" class="n">Memory max GiB</th><th scope="col" class="n">Power avg W</th><th scope="col" class="n">Power max W</th><th scope="col" class="n">Samples</th></tr></thead>
<tbody>${h.gpus.map((g: any) => html`<tr><th scope="row"><a href="${gpuLink(g.gpu_index)}">GPU ${g.gpu_index}</a></th><td>${g.model ?? dash}</td>
<td class="n">${num(weighted(g.points, 'utilization_avg_pct'))}</td><td class="n">${num(peak(g.points, 'utilization_max_pct'))}</td>
<td class="n">${num(weighted(g.points, 'temp_avg_c'))}</td><td class="n">${num(peak(g.points, 'temp_max_c'))}</td>
<td class="n">${num(gib(peak(g.points, 'memory_used_max_mb')), 1)}</td>
<td class="n">${num(weighted(g.points, 'power_avg_w'))}</td><td class="n">${num(peak(g.points, 'power_max_w'))}</td>
<td class="n">${num(g.points.reduce((a: number, p: any) => a + p.samples, 0))}</td></tr>`)}</tbody></table>`
}

function weighted (points: any[], field: string): number | null {
  let sum = 0
  let n = 0
  for (const p of points) if (p[field] !== null) { sum += p[field] * p.samples; n += p.samples }
  return n === 0 ? null : sum / n
}

function peak (points: any[], field: string): number | null {
  const xs = points.map(p => p[field]).filter((v): v is number => v !== null)
  return xs.length === 0 ? null : Math.max(...xs)
}

const gib = (mb: number | null) => mb === null ? null : mb / 1024
