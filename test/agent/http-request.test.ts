import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { Test } from 'tap'
import { createKeepAliveAgent, describeRequestError, httpRequest } from '../../agent/http-request.ts'
import { makeTestCerts, skipWithoutOpenssl } from '../helpers/test-certs.ts'

async function serve (t: Test, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string, server: Server, sockets: () => number }> {
  let sockets = 0
  const server = createServer(handler)
  server.on('connection', () => { sockets++ })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, sockets: () => sockets }
}

t.test('POST sends the body and headers; every status comes back with its text', async t => {
  const seen: Array<{ method?: string, type?: string, body: string }> = []
  const { url } = await serve(t, (req, res) => {
    let body = ''
    req.setEncoding('utf8').on('data', (c: string) => { body += c }).on('end', () => {
      seen.push({ method: req.method, type: req.headers['content-type'], body })
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
  })
  t.same(await httpRequest(`${url}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"é"}', timeoutMs: 2000 }), { status: 200, text: '{"ok":true}' })
  t.same(await httpRequest(new URL(`${url}/missing`), { method: 'GET', timeoutMs: 2000 }), { status: 404, text: '{"ok":true}' })
  t.same(seen, [{ method: 'POST', type: 'application/json', body: '{"a":"é"}' }, { method: 'GET', type: undefined, body: '' }])
})

t.test('a keep-alive agent reuses one connection', async t => {
  const { url, sockets } = await serve(t, (_req, res) => res.end('ok'))
  const agent = createKeepAliveAgent(url, { maxSockets: 4, idleMs: 10_000 })
  t.teardown(() => agent.destroy())
  for (let i = 0; i < 10; i++) t.equal((await httpRequest(url, { method: 'POST', body: '{}', agent, timeoutMs: 2000 })).status, 200)
  t.equal(sockets(), 1)
})

t.test('failures reject with a code: refused, deadline, abort, oversized reply, bad scheme', async t => {
  const closed = await serve(t, (_req, res) => res.end())
  await new Promise<void>(resolve => { closed.server.close(() => resolve()) })
  const refused = await httpRequest(closed.url, { method: 'GET', timeoutMs: 2000 }).catch((err: unknown) => err)
  t.match(refused, { code: 'ECONNREFUSED' })
  t.match(describeRequestError(refused), /ECONNREFUSED/)

  const { url } = await serve(t, (req, res) => {
    if (req.url === '/big') res.end('x'.repeat(4096))
    // /hang: never answers
  })
  await t.rejects(httpRequest(`${url}/hang`, { method: 'GET', timeoutMs: 50 }), { code: 'ETIMEDOUT', message: 'no answer within 50 ms' })
  const abort = new AbortController()
  const pending = httpRequest(`${url}/hang`, { method: 'GET', timeoutMs: 5000, signal: abort.signal })
  abort.abort()
  await t.rejects(pending, { code: 'ABORT_ERR' })
  await t.rejects(httpRequest(`${url}/hang`, { method: 'GET', timeoutMs: 5000, signal: AbortSignal.abort() }), { code: 'ABORT_ERR' })
  await t.rejects(httpRequest(`${url}/big`, { method: 'GET', timeoutMs: 2000, maxBodyBytes: 1024 }), { code: 'EMSGSIZE' })
  await t.rejects(httpRequest('ftp://127.0.0.1/', { method: 'GET', timeoutMs: 2000 }), /only http: and https:/)
  await t.rejects(httpRequest('not a url', { method: 'GET', timeoutMs: 2000 }), TypeError)
})

t.test('https: a private CA (--control-plane-ca) is trusted for one request and for a keep-alive pool; without it, refused', { skip: skipWithoutOpenssl }, async t => {
  const certs = makeTestCerts(t.testdir())
  const server = createHttpsServer({ cert: readFileSync(certs.certPath), key: readFileSync(certs.keyPath) }, (_req, res) => res.end('over tls'))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`
  t.same(await httpRequest(url, { method: 'GET', timeoutMs: 30_000, ca: certs.ca }), { status: 200, text: 'over tls' })
  const pool = createKeepAliveAgent(url, { maxSockets: 1, idleMs: 10_000, ca: certs.ca })
  t.teardown(() => pool.destroy())
  t.equal((await httpRequest(url, { method: 'POST', body: '{}', agent: pool, timeoutMs: 30_000 })).status, 200, 'the pool carries the CA')
  await t.rejects(httpRequest(url, { method: 'GET', timeoutMs: 30_000 }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'the system roots do not vouch for it')
  await t.rejects(httpRequest(url, { method: 'GET', timeoutMs: 30_000, ca: readFileSync(certs.otherCaPath) }), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'nor does another CA')
})
