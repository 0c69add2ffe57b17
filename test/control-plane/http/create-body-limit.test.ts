import t from 'tap'
import { Hono } from 'hono'
import { createBodyLimit } from '../../../control-plane/http/create-body-limit.ts'
import { createOnError } from '../../../shared/on-error.ts'

function app () {
  const a = new Hono()
  a.onError(createOnError({ error: () => {} }))
  a.use('*', createBodyLimit({ defaultBytes: 1024, overrides: [{ prefix: '/big', bytes: 4096 }] }))
  a.post('*', async c => c.json({ read: (await c.req.text()).length }))
  return a
}

function stream (bytes: number): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    pull (controller) {
      if (sent >= bytes) return controller.close()
      const n = Math.min(512, bytes - sent)
      sent += n
      controller.enqueue(new Uint8Array(n).fill(120))
    },
  })
}

t.test('declared Content-Length: compared, never read past', async t => {
  const ok = await app().request('/x', { method: 'POST', body: 'a'.repeat(1024), headers: { 'content-length': '1024' } })
  t.equal(ok.status, 200)
  const over = await app().request('/x', { method: 'POST', body: 'a'.repeat(1025), headers: { 'content-length': '1025' } })
  t.equal(over.status, 413)
  t.match(await over.json(), { code: 'PAYLOAD_TOO_LARGE', statusCode: 413 })
  const bigRoute = await app().request('/big/ingest', { method: 'POST', body: 'a'.repeat(4000), headers: { 'content-length': '4000' } })
  t.equal(bigRoute.status, 200, 'a longer prefix has its own limit')
})

t.test('no Content-Length (chunked): counted while streaming', async t => {
  const small = await app().request('/x', { method: 'POST', body: stream(1000), duplex: 'half' } as RequestInit)
  t.equal(small.status, 200)
  const over = await app().request('/x', { method: 'POST', body: stream(5000), duplex: 'half' } as RequestInit)
  t.equal(over.status, 413)
  t.match(await over.json(), { code: 'PAYLOAD_TOO_LARGE' })
})

t.test('GET passes untouched', async t => {
  const a = app()
  a.get('/x', c => c.text('ok'))
  t.equal((await a.request('/x')).status, 200)
})
