import { html } from 'hono/html'
import type { Html } from '../console-layout.ts'
import { dash, num, when } from '../format.ts'

/** How old the import is, in words a person reads at a glance. */
function age (s: number | null): string {
  if (s === null) return 'never imported'
  if (s < 120) return `${s} s old`
  if (s < 7200) return `${Math.round(s / 60)} min old`
  if (s < 172_800) return `${Math.round(s / 3600)} h old`
  return `${Math.round(s / 86_400)} days old`
}

const groupTable = (caption: string, rows: any[]): Html => html`<table><caption>${caption}</caption>
<thead><tr><th scope="col">${caption.replace(/^By /, '')}</th><th scope="col" class="n">Jobs</th><th scope="col" class="n">GPU jobs</th><th scope="col" class="n">GPU hours</th></tr></thead>
<tbody>${rows.slice(0, 20).map(g => html`<tr><th scope="row">${g.key === '' ? dash : g.key}</th><td class="n">${num(g.jobs)}</td><td class="n">${num(g.gpu_jobs)}</td><td class="n">${num(g.gpu_hours, 2)}</td></tr>`)}</tbody></table>`

/** The Slurm plane beside the GPU Platform plane: counts and GPU-hours, never cost. */
export function slurmSection (s: any, range: string): Html {
  const status = !s.configured && s.data_as_of === null
    ? html`<p class="muted" data-slurm-age="none">No Slurm is configured for this control plane (--slurm-rest-url, or sacct on its host).</p>`
    : html`<p class="${s.stale ? 'error' : 'muted'}" data-slurm-age="${s.age_s ?? 'never'}">Slurm data ${age(s.age_s)}${s.data_as_of === null ? '' : html` (imported ${when(s.data_as_of)})`}${s.source === null ? '' : ` from ${s.source}`}${s.stale && s.last_error !== null ? html`; last import failed: ${s.last_error}` : ''}.</p>`
  return html`<section aria-labelledby="slurm-h"><h2 id="slurm-h">Slurm, per day (${s.tz})</h2>
${status}
<p><strong>${num(s.totals.jobs)}</strong> jobs, <strong>${num(s.totals.gpu_jobs)}</strong> with GPUs, <strong>${num(s.totals.gpu_hours, 2)}</strong> GPU hours (allocated gres/gpu; Slurm carries no cost).</p>
<figure><div class="chart" data-chart="slurm" data-src="/api/analytics/slurm?${range}" role="img" aria-label="Slurm jobs and GPU hours per day"></div></figure>
<details><summary>Per-day table</summary><table><caption class="sr">Slurm per day</caption>
<thead><tr><th scope="col">Day</th><th scope="col" class="n">Jobs</th><th scope="col" class="n">GPU jobs</th><th scope="col" class="n">GPU hours</th></tr></thead>
<tbody>${[...s.rows].reverse().map((d: any) => html`<tr><th scope="row">${d.date}</th><td class="n">${num(d.jobs)}</td><td class="n">${num(d.gpu_jobs)}</td><td class="n">${num(d.gpu_hours, 2)}</td></tr>`)}</tbody></table></details>
<details><summary>By state, user, account, partition, cluster</summary>
${groupTable('By state', s.by_state)}${groupTable('By user', s.by_user)}${groupTable('By account', s.by_account)}${groupTable('By partition', s.by_partition)}${groupTable('By cluster', s.by_cluster)}
</details>
</section>`
}
