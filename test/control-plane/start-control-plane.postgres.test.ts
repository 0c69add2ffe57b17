import t from 'tap'
import pino from 'pino'
import { startControlPlane } from '../../control-plane/start-control-plane.ts'
import { parseControlPlaneConfig } from '../../control-plane/config.ts'
import { checkBootstrapKey } from './check-bootstrap-key.ts'
import { postgresTestDatabase } from '../helpers/postgres-test-database.ts'

t.test('--db postgres://…: migrates, bootstraps a key once, serves, and logs the URL without its password', async t => {
  const pg = await postgresTestDatabase(t)
  const withPassword = pg.url.replace('postgres://postgres@', 'postgres://postgres:not-checked-by-trust@')
  const lines: string[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => { lines.push(line) } })
  const config = parseControlPlaneConfig({ listen: '127.0.0.1:0', db: withPassword })
  const first = await startControlPlane(config, { log })
  t.teardown(() => first.close())
  t.equal(first.store.engine, 'postgres')
  const key = await checkBootstrapKey(t, first)
  t.notMatch(lines.join(''), /not-checked-by-trust/, 'the password is never logged')
  t.match(lines.join(''), /postgres:\*\*\*@127\.0\.0\.1/)
  await first.close()

  const second = await startControlPlane(config, { log: pino({ level: 'silent' }) })
  t.teardown(() => second.close())
  t.equal(second.bootstrapKey, undefined, 'the store is not fresh: no second key')
  t.equal((await fetch(`${second.url}/api/api-keys`, { headers: { 'x-api-key': key! } })).status, 200)
  await second.close()
})
