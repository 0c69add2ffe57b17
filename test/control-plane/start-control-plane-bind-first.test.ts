import t from 'tap'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import pino from 'pino'
import { startControlPlane } from '../../control-plane/start-control-plane.ts'
import { parseControlPlaneConfig } from '../../control-plane/config.ts'

const silent = pino({ level: 'silent' })

t.test('a port in use fails before the database is created, with a one-line message naming the address', async t => {
  const holder = createServer()
  await new Promise<void>(resolve => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => holder.close(() => resolve())))
  const port = (holder.address() as { port: number }).port
  const db = join(t.testdir(), 'data', 'gpufleet.db')
  const err = await startControlPlane(parseControlPlaneConfig({ listen: `127.0.0.1:${port}`, db }), { log: silent }).then(() => null, (e: unknown) => e as Error & { code: string })
  t.equal(err?.name, 'ControlPlaneError')
  t.equal(err?.code, 'EADDRINUSE')
  t.equal(err?.message, `127.0.0.1:${port} is already in use (another gpufleet, or another server, listens there)`)
  t.notOk(existsSync(db), 'no database file')
  t.notOk(existsSync(join(db, '..')), 'no data dir')
})
