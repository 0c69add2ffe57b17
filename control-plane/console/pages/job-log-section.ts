import { html } from 'hono/html'
import { HttpError } from '../../../shared/http-error.ts'
import { LOG_TRUNCATED_HEADER } from '../../../shared/wire/job-logs.ts'
import type { ConsoleGet, ConsoleText } from '../console-api.ts'
import { live, type Html } from '../console-layout.ts'

const LINES = 200
const REFRESH_MS = 2000
const ENDED = new Set(['completed', 'failed', 'cancelled'])

/** The jobs page's job view (`/jobs?job=ID`): the log's last lines, re-read every 2 s while the job has not ended. */
export async function jobLogSection (get: ConsoleGet, text: ConsoleText, jobId: number): Promise<Html> {
  const job = await get(`/api/jobs/${jobId}`).catch(shown)
  const ended = job instanceof HttpError || ENDED.has(job.status)
  return html`<section id="log" aria-labelledby="log-h"><h2 id="log-h">Job ${jobId} log</h2>
${live('job-log', ended ? null : REFRESH_MS, await jobLogFragment(get, text, jobId), `job=${jobId}`)}</section>`
}

export async function jobLogFragment (get: ConsoleGet, text: ConsoleText, jobId: number): Promise<Html> {
  try {
    const [job, log] = await Promise.all([get(`/api/jobs/${jobId}`), text(`/api/jobs/${jobId}/logs?tail=${LINES}`)])
    const dropped = Number(log.headers.get(LOG_TRUNCATED_HEADER) ?? 0)
    return html`<p class="muted">${job.name} · <span class="badge s-${job.status}">${job.status}</span>${heldGpus(job.gpus ?? [])} · the last ${LINES} lines${dropped > 0 ? html` · the first ${dropped} bytes were dropped (retention)` : ''}${ENDED.has(job.status) ? '' : ' · refreshed every 2 s'}</p>
<pre class="log" tabindex="0" aria-label="Output of job ${jobId}">${log.text === '' ? '(no output yet)' : log.text}</pre>`
  } catch (err) {
    const e = shown(err)
    return html`<p class="error" role="alert">${e.message} (${e.code})</p>`
  }
}

// A refusal by the API (another tenant's job answers 404) is shown in the section, the page still renders.
function shown (err: unknown): HttpError {
  if (err instanceof HttpError) return err
  throw err
}

/** ` · GPUs gpu-node-002: 0, 1`: the GPUs the job holds now, by node and index (never database ids). */
function heldGpus (gpus: any[]): string {
  const byNode = new Map<string, number[]>()
  for (const g of gpus) if (g.released_at === null) byNode.set(g.hostname, [...(byNode.get(g.hostname) ?? []), g.gpu_index])
  return byNode.size === 0 ? '' : ` · GPUs ${[...byNode].map(([host, idx]) => `${host}: ${idx.join(', ')}`).join(' · ')}`
}
