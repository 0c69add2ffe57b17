import t from 'tap'
import type { MiddlewareHandler } from 'hono'
import { requireAnyScope } from '../../../control-plane/fleet/require-any-scope.ts'
import type { CpEnv, RequireScope } from '../../../control-plane/http/cp-env.ts'
import { createRouter } from '../../../control-plane/http/create-router.ts'
import { HttpError } from '../../../shared/http-error.ts'
import { createOnError, notFound } from '../../../shared/on-error.ts'
import { memoryLog, testRequireScope } from '../router-harness.ts'

function appWith (requireScope: RequireScope, handler?: () => never) {
  const app = createRouter()
  app.post('/x', requireAnyScope(requireScope, ['write', 'ingest']), c => (handler === undefined ? c.json({ ok: true, scopes: c.get('principal').scopes }) : handler()))
  app.onError(createOnError(memoryLog().log))
  app.notFound(notFound)
  return (scopes: string | null) => app.request('/x', { method: 'POST', headers: scopes === null ? {} : { authorization: `Bearer scopes:${scopes}` } })
}

t.test('any one scope passes; none is 403; no credential is 401 at once', async t => {
  const call = appWith(testRequireScope)
  t.equal((await call('write')).status, 200)
  t.equal((await call('ingest')).status, 200)
  t.equal((await call('admin')).status, 200, 'admin implies write')
  t.equal((await call('read')).status, 403)
  t.equal((await call(null)).status, 401)
})

t.test('works with a requireScope that answers with a Response instead of throwing', async t => {
  let checks = 0
  const responding: RequireScope = (needed): MiddlewareHandler<CpEnv> => async (c, next) => {
    checks++
    const has = (c.req.header('authorization') ?? '').includes(needed)
    if (c.req.header('authorization') === undefined) return c.json({ code: 'UNAUTHORIZED' }, 401)
    if (!has) return c.json({ code: 'FORBIDDEN' }, 403)
    c.set('principal', { keyId: 1, scopes: [needed], tenantId: null, via: 'api-key' })
    await next()
  }
  const call = appWith(responding)
  t.equal((await call('ingest')).status, 200)
  checks = 0
  t.equal((await call('read')).status, 403)
  t.equal(checks, 2, 'both scopes tried')
  checks = 0
  t.equal((await call(null)).status, 401)
  t.equal(checks, 1, 'a 401 is final')
})

t.test('a 403 thrown by the route itself is not retried as a scope failure', async t => {
  let runs = 0
  const call = appWith(testRequireScope, () => { runs++; throw new HttpError(403, 'TENANT_MISMATCH', 'not yours') })
  const res = await call('write,ingest')
  t.equal(res.status, 403)
  t.equal(runs, 1)
})

t.test('needs at least one scope', async t => {
  t.throws(() => requireAnyScope(testRequireScope, []), /scopes must not be empty/)
})
