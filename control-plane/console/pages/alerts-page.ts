import { html } from 'hono/html'
import { WEBHOOK_FORMATS } from '../../../shared/wire/alerts-schemas.ts'
import type { ConsoleGet } from '../console-api.ts'
import { live, type Html } from '../console-layout.ts'
import { when } from '../format.ts'

/** Alerts: the rules with an on/off switch and a threshold and webhook form each, and the latest events. */
export async function alertsPage (get: ConsoleGet): Promise<Html> {
  return live('alerts', 10_000, await alertsFragment(get))
}

export async function alertsFragment (get: ConsoleGet): Promise<Html> {
  const [rules, events] = await Promise.all([get<any[]>('/api/alerts/rules'), get<any[]>('/api/alerts/events?limit=50')])
  return html`
<section aria-labelledby="rules-h"><h2 id="rules-h">Rules</h2>
<table><caption class="sr">Alert rules</caption>
<thead><tr><th scope="col">Rule</th><th scope="col">Threshold</th><th scope="col">What it watches</th><th scope="col">Webhook</th><th scope="col" class="n">Active events</th><th scope="col">Enabled</th><th scope="col">Edit</th></tr></thead>
<tbody>${rules.map(r => html`<tr data-rule-id="${r.id}"><th scope="row">${r.rule_type}</th><td>${r.threshold} ${r.threshold_unit}</td><td>${r.description}</td><td>${r.webhook_url === null ? 'none' : html`<code>${r.webhook_url}</code> <small>(${r.webhook_format ?? 'gpufleet'})</small>`}</td><td class="n">${r.active_events}</td>
<td><label class="switch"><input type="checkbox" id="rule-${r.id}-enabled" data-api="/api/alerts/rules/${r.id}" data-method="PATCH" data-field="enabled" data-refresh="alerts" data-success="Rule ${r.rule_type} updated"${r.enabled ? ' checked' : ''}> <span>${r.rule_type} ${r.enabled ? 'on' : 'off'}</span></label></td>
<td>${ruleForm(r)}</td></tr>`)}</tbody></table>
</section>
<section aria-labelledby="events-h"><h2 id="events-h">Latest events</h2>
${events.length === 0 ? html`<p>No alert has fired.</p>` : html`<table><caption class="sr">Alert events, newest first</caption>
<thead><tr><th scope="col">Fired</th><th scope="col">Rule</th><th scope="col">Subject</th><th scope="col">Status</th><th scope="col">Message</th><th scope="col">Resolved</th></tr></thead>
<tbody>${events.map(e => html`<tr class="${e.status === 'active' ? 'alerting' : ''}"><td>${when(e.fired_at)}</td><td>${e.rule_type}</td><td>${subject(e.subject)}</td><td><span class="badge ${e.status === 'active' ? 'bad' : 'ok'}">${e.status}</span></td><td>${e.message}</td><td>${when(e.resolved_at)}</td></tr>`)}</tbody></table>`}
</section>`
}

/** A GPU subject's name is `host/index`; without one the subject is named by kind only, never by database id. */
function subject (s: any): string {
  if (s.name === null) return s.type === 'gpu' ? 'a GPU (since removed)' : `${s.type} ${s.id}`
  return s.type === 'gpu' ? `GPU ${s.name.replace(/\/([^/]*)$/, ' #$1')}` : `${s.type} ${s.name}`
}

/** Threshold and webhook of one rule (PATCH /api/alerts/rules/:id); an empty URL removes the webhook. */
function ruleForm (r: any): Html {
  return html`<details class="edit"><summary>Edit<span class="sr"> rule ${r.rule_type}</span></summary>
<form class="stack" novalidate data-api="/api/alerts/rules/${r.id}" data-method="PATCH" data-refresh="alerts" data-success="Rule ${r.rule_type} saved" aria-label="Edit rule ${r.rule_type}">
  <label>Threshold (${r.threshold_unit}) <input name="threshold" type="number" step="any" value="${r.threshold}" data-type="number"></label>
  <label>Webhook URL <input name="webhook_url" type="url" maxlength="2048" value="${r.webhook_url ?? ''}" placeholder="none" autocomplete="off" data-type="string-or-null"></label>
  <label>Webhook format <select name="webhook_format" data-omit-unless="webhook_url">${WEBHOOK_FORMATS.map(f => html`<option value="${f}"${f === (r.webhook_format ?? 'gpufleet') ? ' selected' : ''}>${f}</option>`)}</select></label>
  <button type="submit">Save<span class="sr"> rule ${r.rule_type}</span></button>
  <p class="form-error error" role="alert"></p>
</form></details>`
}
