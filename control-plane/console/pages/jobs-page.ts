import { html } from 'hono/html'
import type { ConsoleGet, ConsoleText } from '../console-api.ts'
import { live, type Html } from '../console-layout.ts'
import { dash, when } from '../format.ts'
import { jobLogSection } from './job-log-section.ts'

// What each pending reason means, in the words an operator needs (README "Scheduling policy").
const REASONS: Record<string, string> = {
  CAPACITY: 'waiting for free GPUs',
  PRIORITY: 'higher-priority jobs go first',
  QUOTA: 'tenant quota in use',
  NEVER_FITS_QUOTA: 'asks for more GPUs than the tenant quota',
  NEVER_FITS_CLUSTER: 'asks for more matching GPUs than the cluster has',
  TENANT_INACTIVE: 'tenant is inactive',
  OPERATOR_HOLD: 'held by an operator',
  TENANT_QUEUE: 'behind an earlier job of its tenant waiting for quota',
  NODE_NOT_REPORTING: 'waiting for nodes that send no GPU readings',
  NODE_OFFLINE: 'only offline nodes have enough matching GPUs',
  NODE_DRAINED: 'fits only on a drained node',
}
const ENDED = new Set(['completed', 'failed', 'cancelled'])

/** Jobs: the queue with pending reasons, a submit form and cancel buttons; `jobId` (?job=) adds that job's log. */
export async function jobsPage (get: ConsoleGet, text: ConsoleText, jobId?: number): Promise<Html> {
  const [clusters, tenants, queue, log] = await Promise.all([get<any[]>('/api/clusters'), get<any[]>('/api/tenants'), jobsFragment(get),
    jobId === undefined ? '' : jobLogSection(get, text, jobId)])
  return html`${log}
<section aria-labelledby="submit-h"><h2 id="submit-h">Submit a job</h2>
<form class="grid" novalidate data-api="/api/jobs" data-method="POST" data-refresh="jobs" data-success="Job submitted">
  <label>Name <input name="name" required maxlength="256" autocomplete="off"></label>
  <label>Cluster <select name="cluster_id" data-type="int" required>${clusters.map(c => html`<option value="${c.id}">${c.name}</option>`)}</select></label>
  <label>Tenant <select name="tenant_id" data-type="int-or-null"><option value="">none</option>${tenants.map(t => html`<option value="${t.id}">${t.name}</option>`)}</select></label>
  <label>GPUs <input name="gpu_count" type="number" min="1" max="4096" value="1" data-type="int" required></label>
  <label>GPU type <input name="gpu_type" placeholder="any" maxlength="128" data-type="string-or-omit"></label>
  <label>Priority (1 highest) <input name="priority" type="number" min="1" max="10" value="5" data-type="int" required></label>
  <button type="submit">Submit</button>
  <p class="form-error error" role="alert"></p>
</form></section>
<section aria-labelledby="queue-h"><h2 id="queue-h">Queue</h2>${live('jobs', 5000, queue)}</section>`
}

export async function jobsFragment (get: ConsoleGet): Promise<Html> {
  const [page, tenants] = await Promise.all([get('/api/jobs?limit=100'), get<any[]>('/api/tenants')])
  const tenantName = new Map<number, string>(tenants.map(t => [t.id, t.name]))
  return html`<table><caption class="sr">Jobs, newest first</caption>
<thead><tr><th scope="col" class="n">Id</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Why not running</th><th scope="col" class="n">GPUs</th><th scope="col" class="n">Priority</th><th scope="col">Tenant</th><th scope="col">Submitted</th><th scope="col">Action</th></tr></thead>
<tbody>${page.jobs.map((j: any) => html`<tr data-job-id="${j.id}"><td class="n">${j.id}</td><th scope="row"><a href="/jobs?job=${j.id}#log">${j.name}</a></th><td><span class="badge s-${j.status}">${j.status}</span></td>
<td>${j.pending_reason === null ? dash : html`<abbr title="${REASONS[j.pending_reason] ?? j.pending_reason}">${j.pending_reason}</abbr> — ${j.block_reason ?? REASONS[j.pending_reason] ?? ''}`}</td>
<td class="n">${j.gpu_count}${j.gpu_type === null ? '' : html` <small>${j.gpu_type}</small>`}</td><td class="n">${j.priority}</td><td>${j.tenant_id === null ? dash : (tenantName.get(j.tenant_id) ?? j.tenant_id)}</td><td>${when(j.submitted_at)}</td>
<td>${ENDED.has(j.status) ? '' : html`<button type="button" data-api="/api/jobs/${j.id}" data-method="PATCH" data-body='{"status":"cancelled"}' data-confirm="Cancel job ${j.id} (${j.name})?" data-refresh="jobs" data-success="Job ${j.id} cancelled">Cancel<span class="sr"> job ${j.id}</span></button>`}</td></tr>`)}</tbody></table>
<p class="muted">${page.total} jobs${page.total > page.jobs.length ? ` (newest ${page.jobs.length} shown)` : ''}</p>`
}
