import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * One throwaway PostgreSQL cluster (Debian's packages, loopback only, random port) shared
 * by every test file of a run: .taprc's `before` starts it, `after` stops it, and a test
 * file run alone starts it lazily. The cluster lives in a temp dir named after this checkout,
 * so two worktrees never share one. Missing PostgreSQL is an error with a clear message,
 * never a skip: test/setup/install-system-deps.sh installs it.
 */
export interface TestPostgres { port: number, url: string, dataDir: string }

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const home = join(tmpdir(), `gpufleet-test-pg-${createHash('sha256').update(repoRoot).digest('hex').slice(0, 12)}`)
const stateFile = join(home, 'server.json')
const lockDir = join(home, 'lock')
const dataDir = join(home, 'data')
const isRoot = process.getuid?.() === 0
// initdb refuses to run as root: the server then runs as Debian's `postgres` user.
const RUN_AS = 'postgres'

export function postgresBinDir (): string {
  const candidates: string[] = []
  const viaPgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
  if (viaPgConfig.status === 0) candidates.push(viaPgConfig.stdout.trim())
  const debian = '/usr/lib/postgresql'
  if (existsSync(debian)) {
    for (const v of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) candidates.push(join(debian, v, 'bin'))
  }
  const found = candidates.find(d => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')))
  if (found === undefined) {
    throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian\'s `postgresql` package ' +
      '(test/setup/install-system-deps.sh does) — the PostgreSQL store tests cannot run without it')
  }
  return found
}

/** Runs a PostgreSQL tool (as Debian's `postgres` user when we are root: initdb refuses root). */
export function run (bin: string, args: string[]): void {
  const argv = isRoot ? ['runuser', '-u', RUN_AS, '--', bin, ...args] : [bin, ...args]
  const r = spawnSync('setsid', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.status !== 0) throw new Error(`${[bin, ...args].join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`)
}

export async function freePort (): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolvePort(port))
    })
  })
}

function readState (): TestPostgres | null {
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as TestPostgres
    return existsSync(join(state.dataDir, 'postmaster.pid')) ? state : null
  } catch { return null }
}

async function withLock<T> (fn: () => Promise<T>): Promise<T> {
  mkdirSync(home, { recursive: true })
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lockDir)
      break
    } catch {
      // A holder that died leaves the lock behind; starting a cluster takes seconds, not minutes.
      try { if (Date.now() - statSync(lockDir).mtimeMs > 120_000) rmSync(lockDir, { recursive: true, force: true }) } catch {}
      if (i > 1200) throw new Error(`timed out waiting for ${lockDir}`)
      await new Promise(r => setTimeout(r, 100))
    }
  }
  try { return await fn() } finally { rmSync(lockDir, { recursive: true, force: true }) }
}

/** The run's cluster, started if it is not running yet. */
export async function ensureTestPostgres (): Promise<TestPostgres> {
  const running = readState()
  if (running !== null) return running
  return withLock(async () => {
    const again = readState()
    if (again !== null) return again
    const bin = postgresBinDir()
    rmSync(dataDir, { recursive: true, force: true })
    mkdirSync(dataDir, { recursive: true })
    if (isRoot) {
      const uid = Number(execFileSync('id', ['-u', RUN_AS], { encoding: 'utf8' }).trim())
      const gid = Number(execFileSync('id', ['-g', RUN_AS], { encoding: 'utf8' }).trim())
      chownSync(home, uid, gid)
      chownSync(dataDir, uid, gid)
    }
    run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync'])
    const port = await freePort()
    // Durability off: a test cluster is thrown away; speed matters on a shared CI box.
    const opts = [`-p ${port}`, "-c listen_addresses=127.0.0.1", "-c unix_socket_directories=''", '-c fsync=off',
      '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=300', '-c timezone=UTC'].join(' ')
    run(join(bin, 'pg_ctl'), ['start', '-w', '-t', '60', '-D', dataDir, '-l', join(dataDir, 'server.log'), '-o', opts])
    const state: TestPostgres = { port, url: `postgres://postgres@127.0.0.1:${port}`, dataDir }
    writeFileSync(stateFile, JSON.stringify(state))
    return state
  })
}

export async function stopTestPostgres (): Promise<void> {
  await withLock(async () => {
    const state = readState()
    if (state !== null) run(join(postgresBinDir(), 'pg_ctl'), ['stop', '-m', 'immediate', '-w', '-D', state.dataDir])
    rmSync(stateFile, { force: true })
    rmSync(dataDir, { recursive: true, force: true })
  })
}
