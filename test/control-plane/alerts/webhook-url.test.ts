import t from 'tap'
import { redactWebhookUrl, webhookUrlProblem } from '../../../control-plane/alerts/webhook-url.ts'

t.test('webhookUrlProblem: absolute http(s) with a host, no credentials, ≤ 2048 chars', async t => {
  for (const ok of ['http://127.0.0.1:8080/h', 'https://hooks.slack.com/services/T/B/X', 'https://[::1]/x?token=abc']) t.equal(webhookUrlProblem(ok), null, ok)
  for (const [bad, why] of [
    ['', /absolute/], ['/relative', /absolute/], ['example.com/x', /absolute/], ['ftp://example.com', /http or https/],
    ['javascript:alert(1)', /http or https/], ['file:///etc/passwd', /http or https/], ['https://u:p@example.com', /credentials/],
    [`https://example.com/${'a'.repeat(2048)}`, /at most 2048/],
  ] as const) t.match(webhookUrlProblem(bad), why, bad.slice(0, 40))
})

t.test('redactWebhookUrl keeps scheme, host and port only', async t => {
  t.equal(redactWebhookUrl('https://hooks.slack.com/services/T/B/secret'), 'https://hooks.slack.com/…')
  t.equal(redactWebhookUrl('http://127.0.0.1:9000/?token=x'), 'http://127.0.0.1:9000/…')
  t.equal(redactWebhookUrl('http://127.0.0.1:9000/'), 'http://127.0.0.1:9000')
  t.equal(redactWebhookUrl('not a url'), '…')
})
