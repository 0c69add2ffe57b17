import t from 'tap'
import { classifyStatus } from '../../../agent/uplink/classify-status.ts'

t.test('only a 2xx acknowledges; what keeps the rows; what drops them', async t => {
  const cases: Array<[number, string]> = [
    [200, 'ok'], [201, 'ok'], [204, 'ok'],
    [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'], [408, 'retry'], [429, 'retry'], [301, 'retry'], [307, 'retry'],
    [401, 'auth'], [403, 'auth'],
    [400, 'reject'], [404, 'reject'], [413, 'reject'], [422, 'reject'],
  ]
  for (const [status, kind] of cases) t.equal(classifyStatus(status), kind, String(status))
})
