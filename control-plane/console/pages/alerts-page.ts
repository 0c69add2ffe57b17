import { html } from 'hono/html'
import type { ConsoleGet } from '../console-api.ts'
import { live, type Html } from '../console-layout.ts'
import { when } from '../format.ts'

/** Alerts: the rules with an on/off switch each, and the latest events. */
export async function alertsPage (get: ConsoleGet): Promise<Html> {
  return live('alerts', 10_000, await alertsFragment(get))
}

export async function alertsFragment (get: ConsoleGet): Promise<Html> {
  const [rules, events] = await Promise.all([get<any[]>('/api/alerts/rules'), get<any[]>('/api/alerts/events?limit=50')])
  return html`
<section aria-labelledby="rules-h"><h2 id="rules-h">Rules</h2>
<table><caption class="sr">Alert rules</caption>
<thead><tr><th scope="col">Rule</th><th scope="col">Threshold</th><th scope="col">What it watches</th><th scope="col" class="n">Active events</th><th scope="col">Enabled</th></tr></thead>
<tbody>${rules.map(r => html`<tr data-rule-id="${r.id}"><th scope="row">${r.rule_type}</th><td>${r.threshold} ${r.threshold_unit}</td><td>${r.description}</td><td class="n">${r.active_events}</td>
<td><label class="switch"><input type="checkbox" id="rule-${r.id}-enabled" data-api="/api/alerts/rules/${r.id}" data-method="PATCH" data-field="enabled" data-refresh="alerts" data-success="Rule ${r.rule_type} updated"${r.enabled ? ' checked' : ''}> <span>${r.rule_type} ${r.enabled ? 'on' : 'off'}</span></label></td></tr>`)}</tbody></table>
</section>
<section aria-labelledby="events-h"><h2 id="events-h">Latest events</h2>
${events.length === 0 ? html`<p>No alert has fired.</p>` : html`<table><caption class="sr">Alert events, newest first</caption>
<thead><tr><th scope="col">Fired</th><th scope="col">Rule</th><th scope="col">Subject</th><th scope="col">Status</th><th scope="col">Message</th><th scope="col">Resolved</th></tr></thead>
<tbody>${events.map(e => html`<tr class="${e.status === 'active' ? 'alerting' : ''}"><td>${when(e.fired_at)}</td><td>${e.rule_type}</td><td>${e.subject.type} ${e.subject.name ?? e.subject.id}</td><td><span class="badge ${e.status === 'active' ? 'bad' : 'ok'}">${e.status}</span></td><td>${e.message}</td><td>${when(e.resolved_at)}</td></tr>`)}</tbody></table>`}
</section>`
}
