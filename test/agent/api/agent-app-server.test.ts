import { serve } from '@hono/node-server'
import t from 'tap'
import { request } from 'undici'
import { KEYS, agentHarness, bearer } from './fixtures.ts'

// The same app behind a real socket: the limiter's default peer address and the body limit
// on a real Content-Length are only exercised here.
t.test('over a real socket', async t => {
  const { app, purge } = await agentHarness()
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise<void>(resolve => server.once('listening', () => resolve()))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  const { port } = server.address() as { port: number }
  const base = `http://127.0.0.1:${port}`

  const ok = await request(`${base}/v1/gpu/status`, { headers: bearer(KEYS.operator) })
  t.equal(ok.statusCode, 200)
  t.match(await ok.body.json(), { status: 'success', total_gpus: 1 })

  const big = await request(`${base}/v1/gpu/purge`, {
    method: 'POST',
    // The server answers 413 without reading the body and drops the connection: don't reuse it.
    reset: true,
    headers: { ...bearer(KEYS.operator), 'content-type': 'application/json' },
    // Over the 16 KiB limit but small enough to sit in the socket buffers, so the client
    // reliably reads the early 413 instead of racing a reset while still writing.
    body: JSON.stringify({ force: true, pad: 'x'.repeat(32 * 1024) }),
  })
  t.equal(big.statusCode, 413)
  t.match(await big.body.json(), { code: 'PAYLOAD_TOO_LARGE' })
  t.equal(purge.calls.length, 0)

  for (let i = 0; i < 10; i++) {
    const res = await request(`${base}/v1/gpu/status`, { headers: bearer(`guess-${i}`) })
    await res.body.dump()
    t.equal(res.statusCode, 401)
  }
  // A further bad key is slowed (a valid one would pass: only failures are braked, issue 12).
  const limited = await request(`${base}/v1/gpu/status`, { headers: bearer('guess-10') })
  t.equal(limited.statusCode, 429, 'the socket address (127.0.0.1) is the bucket')
  t.equal(limited.headers['retry-after'], '6')
  await limited.body.dump()
})
