import { html } from 'hono/html'
import { layout, type Html } from './console-layout.ts'

/** The login form: one password field for an admin key; the message says what went wrong, if anything. */
export function loginPage (message?: string): Html {
  return layout({
    title: 'Log in',
    path: '/login',
    body: html`
${message === undefined ? '' : html`<p class="error" role="alert">${message}</p>`}
<form method="post" action="/login" class="login">
  <label for="key">Admin API key</label>
  <input id="key" name="key" type="password" required autocomplete="off" spellcheck="false" placeholder="gfk_…" autofocus>
  <p class="muted">An <strong>admin</strong> or <strong>superadmin</strong> key. It is checked once and never stored in the browser: a session cookie (HttpOnly) stands in for it until you log out or it expires.</p>
  <button type="submit">Log in</button>
</form>`,
  })
}
