import t from 'tap'
import { classifyAnswer, classifyStatus } from '../../../agent/uplink/classify-status.ts'

t.test('only a 2xx acknowledges; only a validation error drops; everything else keeps the rows', async t => {
  const cases: Array<[number, string]> = [
    [200, 'ok'], [201, 'ok'], [204, 'ok'],
    [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'], [408, 'retry'], [429, 'retry'], [301, 'retry'], [307, 'retry'],
    // A proxy's "no such path" or "body too big" says nothing about the rows.
    [404, 'retry'], [405, 'retry'], [409, 'retry'], [413, 'retry'], [415, 'retry'],
    [401, 'auth'], [403, 'auth'],
    [400, 'reject'], [422, 'reject'],
  ]
  for (const [status, kind] of cases) t.equal(classifyStatus(status), kind, String(status))
})

t.test('a 400/422 drops rows only with the control plane\'s own JSON error body', async t => {
  const cpError = JSON.stringify({ statusCode: 400, code: 'GPUS_REQUIRED', error: 'Bad Request', message: 'body must …' })
  t.equal(classifyAnswer(400, cpError), 'reject')
  t.equal(classifyAnswer(422, JSON.stringify({ code: 'VALIDATION_FAILED' })), 'reject')
  t.equal(classifyAnswer(400, '<html><body><h1>400 Bad Request</h1>nginx</body></html>'), 'retry', 'a proxy\'s HTML page')
  t.equal(classifyAnswer(400, ''), 'retry', 'no body')
  t.equal(classifyAnswer(400, '{"message":"bad"}'), 'retry', 'JSON without a code')
  t.equal(classifyAnswer(400, '"GPUS_REQUIRED"'), 'retry', 'not an object')
  t.equal(classifyAnswer(413, JSON.stringify({ code: 'PAYLOAD_TOO_LARGE' })), 'retry', 'too big is not invalid')
  t.equal(classifyAnswer(502, '<html>Bad Gateway</html>'), 'retry')
  t.equal(classifyAnswer(401, '<html>401</html>'), 'auth')
  t.equal(classifyAnswer(200, '<html>welcome</html>'), 'ok', 'by status; the uplink checks an ack body')
})
