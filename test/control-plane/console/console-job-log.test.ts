import t from 'tap'
import { consoleHarness } from './console-harness.ts'

t.test('the jobs page\'s job view shows the log\'s tail, escaped, refreshed while the job runs; other tenants\' jobs are not shown', async t => {
  const h = await consoleHarness(t)
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await h.req(method, path, { key: h.root, ...(body === undefined ? {} : { json: body }) })
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`)
    return r.body
  }
  const cluster = await api('POST', '/api/clusters', { name: 'lab', region: 'r' })
  const mine = await api('POST', '/api/tenants', { name: 'mine', gpu_quota: 4 })
  const theirs = await api('POST', '/api/tenants', { name: 'theirs', gpu_quota: 4 })
  const job = await api('POST', '/api/jobs', { cluster_id: cluster.id, name: 'printer', tenant_id: theirs.id })
  await h.store.jobLogs.append({ jobId: job.id, run: 1, offset: 0, bytes: Buffer.from('step 1\n<script>alert(1)</script>\ndone\n'), at: 1 }, 1 << 20)

  const { cookie } = await h.login()
  const page = await h.req('GET', `/jobs?job=${job.id}`, { cookie })
  t.equal(page.status, 200)
  t.match(page.text, `<h2 id="log-h">Job ${job.id} log</h2>`)
  t.match(page.text, /<pre class="log"[^>]*>step 1\n&lt;script&gt;alert\(1\)&lt;\/script&gt;\ndone\n<\/pre>/, 'the log, HTML-escaped')
  t.match(page.text, `data-fragment="job-log" data-refresh-ms="2000" data-fragment-query="job=${job.id}"`, 'refreshed while the job has not ended')
  t.match(page.text, `<a href="/jobs?job=${job.id}#log">printer</a>`, 'the queue links each job to its view')
  const fragment = await h.req('GET', `/fragments/job-log?job=${job.id}`, { cookie })
  t.equal(fragment.status, 200)
  t.match(fragment.text, /<pre class="log"[^>]*>step 1\n/)
  t.equal((await h.req('GET', '/fragments/job-log?job=abc', { cookie })).status, 400)
  t.notMatch((await h.req('GET', '/jobs', { cookie })).text, /id="log-h"/, 'no job asked: no log section')

  await api('PATCH', `/api/jobs/${job.id}`, { status: 'cancelled' })
  t.notMatch((await h.req('GET', `/jobs?job=${job.id}`, { cookie })).text, /data-fragment="job-log" data-refresh-ms/, 'an ended job: no refresh')

  const tenantAdmin = await h.mint(['admin'], { tenant_id: mine.id })
  const other = await h.login(tenantAdmin.key)
  // (The jobs page itself lists clusters, which a tenant-bound key may not read; its fragment shows the refusal.)
  const refused = await h.req('GET', `/fragments/job-log?job=${job.id}`, { cookie: other.cookie })
  t.equal(refused.status, 200, 'the section renders the refusal')
  t.match(refused.text, /<p class="error" role="alert">no job with id \d+ \(JOB_NOT_FOUND\)<\/p>/)
  t.notMatch(refused.text, /step 1/)
})
