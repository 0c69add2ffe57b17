import type { Context } from 'hono'
import { html } from 'hono/html'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import { createRouter } from '../http/create-router.ts'
import { CSRF_FIELD, type ConsoleSession, type SessionAuth } from '../auth/create-session-auth.ts'
import { consoleGet, consoleText, type ApiFetch, type ConsoleGet, type ConsoleText } from './console-api.ts'
import { layout, type ConsolePath, type DetailPath, type Html } from './console-layout.ts'
import { loadConsoleAssets } from './console-assets.ts'
import { setConsoleHeaders } from './console-headers.ts'
import { scrollTables } from './table-scroll.ts'
import { loginPage } from './login-page.ts'
import { fleetFragment, fleetPage } from './pages/fleet-page.ts'
import { telemetryPage } from './pages/telemetry-page.ts'
import { allocationFragment, allocationPage } from './pages/allocation-page.ts'
import { tenantsFragment, tenantsPage } from './pages/tenants-page.ts'
import { jobsFragment, jobsPage } from './pages/jobs-page.ts'
import { jobLogFragment } from './pages/job-log-section.ts'
import { billingPage } from './pages/billing-page.ts'
import { alertsFragment, alertsPage } from './pages/alerts-page.ts'
import { keysFragment, keysPage } from './pages/keys-page.ts'
import { analyticsPage } from './pages/analytics-page.ts'
import { workersPage } from './pages/workers-page.ts'
import { nodePage } from './pages/node-page.ts'
import { gpuPage } from './pages/gpu-page.ts'

/** The console's form endpoints (the JSON body guard lets form bodies through on these only). */
export const CONSOLE_FORM_PATHS = ['/login', '/logout'] as const

export interface ConsoleRouterDeps {
  sessions: SessionAuth
  api: ApiFetch
  now: () => number
}

interface PageView { get: ConsoleGet, text: ConsoleText, query: (name: string) => string | undefined, session: ConsoleSession, now: number }
interface PageSpec { title: string, charts?: boolean, render: (v: PageView) => Promise<Html> }

const PAGES: Record<ConsolePath, PageSpec> = {
  '/': { title: 'Fleet', render: v => fleetPage(v.get) },
  '/allocation': { title: 'Allocation', render: v => allocationPage(v.get, v.now) },
  '/telemetry': { title: 'GPU telemetry', charts: true, render: v => telemetryPage(v.get, v.query) },
  '/tenants': { title: 'Tenants', render: v => tenantsPage(v.get) },
  '/jobs': { title: 'Jobs', render: v => jobsPage(v.get, v.text, jobIdOf(v)) },
  '/billing': { title: 'Billing', charts: true, render: v => billingPage(v.get) },
  '/alerts': { title: 'Alerts', render: v => alertsPage(v.get) },
  '/keys': { title: 'API keys', render: v => keysPage(v.get, v.session.principal.keyId) },
  '/analytics': { title: 'Analytics', charts: true, render: v => analyticsPage(v.get, v.query, v.now) },
  '/workers': { title: 'Worker timeline', render: v => workersPage(v.get, v.now) },
}

// Linked from the fleet page's node rows and GPU cells.
const DETAIL_PAGES: Record<DetailPath, PageSpec> = {
  '/node': { title: 'Node', charts: true, render: v => nodePage(v.get, v.query) },
  '/gpu': { title: 'GPU', charts: true, render: v => gpuPage(v.get, v.query) },
}

const FRAGMENTS: Record<string, (v: PageView) => Promise<Html>> = {
  fleet: v => fleetFragment(v.get),
  allocation: v => allocationFragment(v.get, v.now),
  tenants: v => tenantsFragment(v.get),
  jobs: v => jobsFragment(v.get),
  'job-log': async v => {
    const id = jobIdOf(v)
    if (id === undefined) throw httpError('VALIDATION_FAILED', 'job: must be a positive integer id')
    return jobLogFragment(v.get, v.text, id)
  },
  alerts: v => alertsFragment(v.get),
  keys: v => keysFragment(v.get, v.session.principal.keyId),
}

/**
 * The admin console at `/`: server-rendered pages (hono/html templates, see README "Console")
 * read through the API as the logged-in session; a small client script refreshes live parts
 * and sends actions to the same API with the session's CSRF token.
 */
export function createConsoleRouter (deps: ConsoleRouterDeps) {
  const { sessions, api, now } = deps
  const assets = loadConsoleAssets()
  const router = createRouter()

  const redirect = (c: Context, to: string) => {
    setConsoleHeaders(c, 'no-store')
    return c.redirect(to, 303)
  }
  const page = async (c: Context, status: number, body: Html) => {
    setConsoleHeaders(c, 'no-store')
    return c.html(scrollTables(String(await body)), status as 200)
  }
  const viewOf = (c: Context, session: ConsoleSession): PageView => ({
    get: consoleGet(api, c.req.header('cookie') ?? ''),
    text: consoleText(api, c.req.header('cookie') ?? ''),
    query: name => c.req.query(name),
    session,
    now: now(),
  })

  router.get('/assets/:name', c => {
    const asset = assets.get(c.req.param('name'))
    if (asset === undefined) throw httpError('NOT_FOUND', 'no such console asset')
    setConsoleHeaders(c, 'asset')
    c.header('ETag', asset.etag)
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304)
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': asset.type })
  })

  router.get('/login', async c => {
    const session = await sessions.read(c)
    if (session !== null && session !== 'invalid') return redirect(c, '/')
    return page(c, 200, loginPage())
  })

  router.post('/login', async c => {
    const key = await formField(c, 'key')
    if (key === undefined || key.trim() === '') return page(c, 400, loginPage('Enter an API key.'))
    const result = await sessions.login(c, key)
    if (!result.ok) return page(c, result.error.status, loginPage(result.error.message))
    return redirect(c, '/')
  })

  router.post('/logout', async c => {
    const session = await sessions.read(c)
    if (session !== null && session !== 'invalid' && !sessions.csrfOk(c, session, await formField(c, CSRF_FIELD))) {
      return page(c, 403, layout({ title: 'Not logged out', path: '/login', body: html`<p class="error" role="alert">The form was stale (missing or wrong CSRF token). Go <a href="/">back</a> and try again.</p>` }))
    }
    await sessions.logout(c)
    return redirect(c, '/login')
  })

  for (const [path, spec] of [...Object.entries(PAGES), ...Object.entries(DETAIL_PAGES)] as Array<[ConsolePath | DetailPath, PageSpec]>) {
    router.get(path, async c => {
      const session = await sessions.read(c)
      if (session === 'invalid') await sessions.logout(c)
      if (session === null || session === 'invalid') return redirect(c, '/login')
      let body: Html
      let status = 200
      try {
        body = await spec.render(viewOf(c, session))
      } catch (err) {
        // A refusal by the API (a tenant-bound admin on fleet-wide data, …) is shown, not crashed on.
        if (!(err instanceof HttpError)) throw err
        status = err.status
        body = html`<p class="error" role="alert">${err.message} (${err.code})</p>`
      }
      return page(c, status, layout({ title: spec.title, path, csrfToken: session.csrfToken, charts: spec.charts === true, body }))
    })
  }

  router.get('/fragments/:name', async c => {
    const render = Object.hasOwn(FRAGMENTS, c.req.param('name')) ? FRAGMENTS[c.req.param('name')] : undefined
    if (render === undefined) throw httpError('NOT_FOUND', 'no such console fragment')
    const session = await sessions.read(c)
    if (session === null || session === 'invalid') throw httpError('UNAUTHORIZED', 'your console session has expired or ended; log in again')
    return page(c, 200, await render(viewOf(c, session)))
  })

  return router
}

/** `?job=ID` of the jobs page and its log fragment; undefined when absent or not an id. */
function jobIdOf (v: PageView): number | undefined {
  const raw = v.query('job')
  return raw !== undefined && /^[0-9]{1,15}$/.test(raw) && Number(raw) >= 1 ? Number(raw) : undefined
}

/** A field of a form (or JSON) body; undefined when absent or the body is unreadable. */
async function formField (c: Context, name: string): Promise<string | undefined> {
  try {
    if ((c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      const body = await c.req.json() as unknown
      const v = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined
      return typeof v === 'string' ? v : undefined
    }
    const body = await c.req.parseBody()
    const v = body[name]
    return typeof v === 'string' ? v : undefined
  } catch {
    return undefined
  }
}
