import t from 'tap'
import { parsePurgeBody } from '../../../agent/api/purge-body.ts'
import { HttpError } from '../../../shared/http-error.ts'
import { KEYS, SEED_PURGE_RESULT, agentHarness, bearer } from './fixtures.ts'

const JSON_HEADERS = { ...bearer(KEYS.operator), 'content-type': 'application/json' }

t.test('purge passes the seed-shaped result through', async t => {
  const { app, purge, lines } = await agentHarness()
  const res = await app.request('/v1/gpu/purge', { method: 'POST', headers: JSON_HEADERS, body: '{"force": false}' })
  t.equal(res.status, 200)
  t.same(await res.json(), SEED_PURGE_RESULT)
  t.same(purge.calls, [{ force: false }])
  const requested = lines.map(l => JSON.parse(l)).find(l => l.msg === 'purge requested')
  t.match(requested, { force: false, key_id: 1, auth_via: 'control-plane' }, 'who purged is logged (key id, not key)')
})

t.test('force: true reaches the service; no body and an empty object mean force: false', async t => {
  const { app, purge } = await agentHarness()
  t.equal((await app.request('/v1/gpu/purge', { method: 'POST', headers: JSON_HEADERS, body: '{"force":true}' })).status, 200)
  t.equal((await app.request('/v1/gpu/purge', { method: 'POST', headers: bearer(KEYS.operator) })).status, 200)
  t.equal((await app.request('/v1/gpu/purge', { method: 'POST', headers: JSON_HEADERS, body: '{}' })).status, 200)
  t.equal((await app.request('/v1/gpu/purge', { method: 'POST', headers: JSON_HEADERS, body: '' })).status, 200)
  t.equal((await app.request('/v1/gpu/purge', { method: 'POST', headers: bearer(KEYS.operator), body: new TextEncoder().encode('{"force":true}') })).status, 200, 'JSON without a content type is read as JSON')
  t.same(purge.calls, [{ force: true }, { force: false }, { force: false }, { force: false }, { force: true }])
})

t.test('bad bodies are refused with the one error shape and purge is never called', async t => {
  const { app, purge } = await agentHarness()
  const cases: Array<[string, string, Record<string, string>, number, string, RegExp]> = [
    ['invalid JSON', '{"force": tru', JSON_HEADERS, 400, 'INVALID_BODY', /not valid JSON/],
    ['an array', '[{"force": true}]', JSON_HEADERS, 400, 'INVALID_BODY', /must be a JSON object .* got an array/],
    ['null', 'null', JSON_HEADERS, 400, 'INVALID_BODY', /got null/],
    ['a number', '1', JSON_HEADERS, 400, 'INVALID_BODY', /got a number/],
    ['force as a string', '{"force":"yes"}', JSON_HEADERS, 400, 'INVALID_BODY', /"force" must be a boolean \(true or false\), got a string/],
    ['force as null', '{"force":null}', JSON_HEADERS, 400, 'INVALID_BODY', /"force" must be a boolean/],
    ['a typo', '{"froce":true}', JSON_HEADERS, 400, 'INVALID_BODY', /unknown field "froce" \(the only field is "force"\)/],
    ['an extra field', '{"force":true,"dry_run":true}', JSON_HEADERS, 400, 'INVALID_BODY', /unknown field "dry_run"/],
    ['a string sent as text/plain (fetch default)', '{"force":true}', bearer(KEYS.operator), 415, 'UNSUPPORTED_MEDIA_TYPE', /Content-Type: application\/json/],
    ['form encoded', 'force=true', { ...bearer(KEYS.operator), 'content-type': 'application/x-www-form-urlencoded' }, 415, 'UNSUPPORTED_MEDIA_TYPE', /must be JSON/],
    ['1 MB', JSON.stringify({ force: true, pad: 'x'.repeat(1024 * 1024) }), JSON_HEADERS, 413, 'PAYLOAD_TOO_LARGE', /exceeds 16 KiB/],
  ]
  for (const [name, body, headers, status, code, message] of cases) {
    const res = await app.request('/v1/gpu/purge', { method: 'POST', headers, body })
    t.equal(res.status, status, name)
    const json = await res.json() as Record<string, unknown>
    t.match(json, { statusCode: status, code, error: String, message }, name)
    t.same(Object.keys(json).filter(k => k !== 'details').sort(), ['code', 'error', 'message', 'statusCode'], `${name}: the one error shape`)
  }
  t.equal(purge.calls.length, 0)
})

t.test('the size limit also holds for a streamed body without Content-Length', async t => {
  const { app, purge } = await agentHarness()
  const chunk = new TextEncoder().encode(' '.repeat(8 * 1024))
  let sent = 0
  const body = new ReadableStream<Uint8Array>({
    pull (controller) {
      if (sent++ < 128) controller.enqueue(chunk)
      else controller.close()
    },
  })
  const res = await app.request('/v1/gpu/purge', { method: 'POST', headers: JSON_HEADERS, body, duplex: 'half' } as RequestInit)
  t.equal(res.status, 413)
  t.ok(sent < 128, 'reading stopped at the limit')
  t.equal(purge.calls.length, 0)
})

t.test('409 from the service propagates', async t => {
  const { app, purge } = await agentHarness()
  purge.purge = async () => { throw new HttpError(409, 'PURGE_IN_PROGRESS', 'a purge is already running') }
  const res = await app.request('/v1/gpu/purge', { method: 'POST', headers: JSON_HEADERS, body: '{}' })
  t.equal(res.status, 409)
  t.same(await res.json(), { statusCode: 409, code: 'PURGE_IN_PROGRESS', error: 'Conflict', message: 'a purge is already running' })
})

t.test('an unexpected failure is a generic 500 that leaks nothing, and is logged', async t => {
  const { app, purge, lines } = await agentHarness()
  purge.purge = async () => { throw new Error('ECONNRESET at /secret/path') }
  const res = await app.request('/v1/gpu/purge', { method: 'POST', headers: JSON_HEADERS, body: '{}' })
  t.equal(res.status, 500)
  t.same(await res.json(), { statusCode: 500, code: 'INTERNAL', error: 'Internal Server Error', message: 'internal error' })
  t.match(lines.join(''), /ECONNRESET/)
})

t.test('parsePurgeBody on literal strings', async t => {
  t.same(parsePurgeBody('', undefined), { force: false })
  t.same(parsePurgeBody('  \n', 'text/plain'), { force: false }, 'whitespace is no body at all')
  t.same(parsePurgeBody('{"force":true}', 'application/json; charset=utf-8'), { force: true })
  t.same(parsePurgeBody('{"force":false}', 'application/merge-patch+json'), { force: false })
  t.throws(() => parsePurgeBody('{"force":true}', 'text/plain'), { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' })
  t.throws(() => parsePurgeBody('"force"', undefined), { status: 400, code: 'INVALID_BODY', message: /got a string/ })
  t.throws(() => parsePurgeBody('{"froce":true,"forse":1}', undefined), {
    status: 400,
    message: /unknown fields "froce", "forse"/,
    details: { issues: [{ path: '', code: 'unrecognized_keys' }] },
  })
})
