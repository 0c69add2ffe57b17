import { execFileSync } from 'node:child_process'
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, postgresBinDir, run } from '../setup/postgres-server.ts'

export interface PrivatePostgres {
  url: string
  port: number
  stop: (mode?: 'fast' | 'immediate') => void
  start: () => void
  /** Stops (if running) and deletes the cluster. */
  destroy: () => void
}

/**
 * A PostgreSQL cluster of one test's own (the run's shared cluster serves every other test
 * file at once, so a test that restarts or stops its server needs its own). Same flags as
 * test/setup/postgres-server.ts: loopback only, trust auth, durability off.
 */
export async function startPrivatePostgres (): Promise<PrivatePostgres> {
  const bin = postgresBinDir()
  const home = mkdtempSync(join(tmpdir(), 'gpufleet-private-pg-'))
  const dataDir = join(home, 'data')
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(home, uid, gid)
  }
  run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync'])
  const port = await freePort()
  const opts = [`-p ${port}`, '-c listen_addresses=127.0.0.1', "-c unix_socket_directories=''", '-c fsync=off',
    '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=200', '-c timezone=UTC'].join(' ')
  let running = false
  const pg: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start () {
      run(join(bin, 'pg_ctl'), ['start', '-w', '-t', '60', '-D', dataDir, '-l', join(home, 'server.log'), '-o', opts])
      running = true
    },
    stop (mode = 'fast') {
      if (!running) return
      run(join(bin, 'pg_ctl'), ['stop', '-m', mode, '-w', '-t', '60', '-D', dataDir])
      running = false
    },
    destroy () {
      try { pg.stop('immediate') } catch {}
      rmSync(home, { recursive: true, force: true })
    },
  }
  pg.start()
  return pg
}
