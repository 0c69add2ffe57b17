import t from 'tap'
import { isStoreUnavailable } from '../../../control-plane/store/is-store-unavailable.ts'

t.test('connection trouble is "unavailable"; bugs and bad data are not', async t => {
  const err = (props: object, message = 'x') => Object.assign(new Error(message), props)
  for (const yes of [
    err({ code: 'ECONNREFUSED' }),
    err({ code: '57P01' }, 'terminating connection due to administrator command'),
    err({ code: '57P03' }, 'the database system is starting up'),
    err({ code: '08006' }),
    err({ code: '53300' }),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    err({ code: 'ERR_SQLITE_ERROR', errcode: 5 }, 'database is locked'),
    new Error('wrapped', { cause: err({ code: 'ECONNRESET' }) }),
  ]) t.ok(isStoreUnavailable(yes), (yes as Error).message + ' ' + String((yes as { code?: string }).code))
  for (const no of [
    err({ code: '23505' }, 'duplicate key'),
    err({ code: '42P01' }, 'relation does not exist'),
    err({ code: 'ERR_SQLITE_ERROR', errcode: 1 }, 'no such table'),
    new TypeError('x is undefined'),
    null,
    'ECONNREFUSED',
  ]) t.notOk(isStoreUnavailable(no), String(no))
})
