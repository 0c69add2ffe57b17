import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * One naming for route files: `create-<area>-router.ts` builds and returns a router (a domain's
 * whole API, mounted by product-parts.ts); `register-<what>-route(s).ts` adds routes to a router
 * it is handed (a router split by topic, as billing and analytics are).
 */
const ROUTE_FILE = /^(create-[a-z0-9-]+-router|register-[a-z0-9-]+-routes?)\.ts$/
// Routes outside a domain router: /healthz and /metrics are the app's own (wiring).
const NOT_DOMAIN_ROUTES = new Set(['control-plane/create-control-plane.ts'])

// Code, not a comment that mentions createRoute.
const declaresRoutes = (text: string): boolean => text.split('\n').some(l => !/^\s*(\*|\/\/|\/\*)/.test(l) && /\bcreateRoute\(/.test(l))

function sources (dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap(e => {
    const path = `${dir}/${e.name}`
    if (e.isDirectory()) return sources(path)
    return e.name.endsWith('.ts') ? [path] : []
  })
}

t.test('every file that declares routes is named create-*-router.ts or register-*-routes.ts', async t => {
  const declaring = sources('control-plane')
    .filter(f => !NOT_DOMAIN_ROUTES.has(f) && declaresRoutes(readFileSync(join(ROOT, f), 'utf8')))
  t.ok(declaring.length > 10, `found the route files (${declaring.length})`)
  t.same(declaring.filter(f => !ROUTE_FILE.test(f.split('/').pop() as string)), [])
})
