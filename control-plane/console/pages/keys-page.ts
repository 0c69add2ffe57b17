import { html } from 'hono/html'
import type { ConsoleGet } from '../console-api.ts'
import { live, type Html } from '../console-layout.ts'
import { when } from '../format.ts'

const GRANTABLE = ['read', 'write', 'admin', 'superadmin', 'ingest'] as const

/**
 * API keys: generate (the raw key is shown once, in the page only, from the POST's answer)
 * and revoke. The list never holds more than the 12-character prefix.
 */
export async function keysPage (get: ConsoleGet, callerKeyId: number | null): Promise<Html> {
  return html`
<section aria-labelledby="gen-h"><h2 id="gen-h">Generate a key</h2>
<form class="grid" novalidate data-api="/api/api-keys" data-method="POST" data-refresh="keys" data-show-key="new-key" data-success="Key generated: copy it now, it is not shown again">
  <label>Label <input name="label" required maxlength="128" autocomplete="off"></label>
  <fieldset><legend>Permissions</legend>${GRANTABLE.map(p => html`<label><input type="checkbox" name="permissions" value="${p}" data-type="list"${p === 'read' ? ' checked' : ''}> ${p}</label>`)}</fieldset>
  <button type="submit">Generate</button>
  <p class="form-error error" role="alert"></p>
</form>
<div id="new-key" class="new-key" hidden><p><strong>New key (shown once):</strong></p><output id="new-key-value" aria-label="The new API key"></output></div>
</section>
<section aria-labelledby="list-h"><h2 id="list-h">Keys</h2>${live('keys', null, await keysFragment(get, callerKeyId))}</section>`
}

export async function keysFragment (get: ConsoleGet, callerKeyId: number | null): Promise<Html> {
  const keys = await get<any[]>('/api/api-keys')
  return html`<table><caption class="sr">API keys, oldest first</caption>
<thead><tr><th scope="col" class="n">Id</th><th scope="col">Prefix</th><th scope="col">Label</th><th scope="col">Permissions</th><th scope="col">Tenant</th><th scope="col">Cluster</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
<tbody>${keys.map(k => html`<tr data-key-id="${k.id}"><td class="n">${k.id}</td><td><code>${k.key_prefix}…</code></td><th scope="row">${k.label}</th><td>${k.permissions.join(', ')}</td><td>${k.tenant_id ?? 'all'}</td><td>${k.cluster_id ?? (k.permissions.includes('ingest') ? 'unbound' : '')}</td><td>${when(k.created_at)}</td><td>${when(k.last_used_at)}</td>
<td>${k.revoked_at === null ? html`<span class="badge ok">active</span>${k.id === callerKeyId ? ' (this session)' : ''}` : html`<span class="badge">revoked ${when(k.revoked_at)}</span>`}</td>
<td>${k.revoked_at === null ? html`<button type="button" data-api="/api/api-keys/${k.id}" data-method="DELETE" data-confirm="Revoke key ${k.key_prefix}… (${k.label})? Anything using it stops working at once." data-refresh="keys" data-success="Key ${k.id} revoked">Revoke<span class="sr"> key ${k.id}</span></button>` : ''}</td></tr>`)}</tbody></table>`
}
