import { spawn, type ChildProcess } from 'node:child_process'
import { chownSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { freePort, postgresBinDir, run } from '../../test/setup/postgres-server.ts'

/** One server under test, started on loopback in its own fresh directory. */
export interface Running {
  /** Root processes whose trees are measured (CPU, RSS). */
  pids: number[]
  /** POST one push of the workload: path, headers and body in this target's form. */
  ingest: { url: string, path: string, headers: Record<string, string>, form: 'gpufleet' | 'vm' }
  /** One power-history query over the last day in 5-minute buckets: its buckets' power, watts. */
  powerHistory: () => Promise<number[]>
  /** Everything pushed is queryable and on disk. */
  flush: () => Promise<void>
  /** Stops the server (cleanly: it writes out what it holds) and says the bytes it left on disk. */
  stop: () => Promise<number>
}

export interface Target {
  name: string
  start: (dir: string) => Promise<Running>
}

const repoRoot = join(import.meta.dirname, '..', '..')
const isRoot = process.getuid?.() === 0

function duBytes (path: string): number {
  let total = 0
  for (const e of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size
  }
  return total
}

async function waitHttp (url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited (code ${child.exitCode}) before it answered ${url}`)
    try { if ((await fetch(url)).ok) return } catch {}
    await new Promise(r => setTimeout(r, 100))
  }
  throw new Error(`${what}: ${url} did not answer within 120 s`)
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/**
 * The node flags between the binary and bin/gpufleet in the control-plane unit's ExecStart=
 * (its memory settings), so the bench measures the server as it is shipped to run.
 */
function unitNodeFlags (): string[] {
  const unit = readFileSync(join(repoRoot, 'systemd', 'gpufleet-control-plane.service'), 'utf8')
  const m = /^ExecStart=\S+\/node((?:\s+-\S+)*)\s+\S+\/bin\/gpufleet control-plane\b/m.exec(unit)
  if (m?.[1] === undefined) throw new Error('peers: no `ExecStart=…/node [flags] …/bin/gpufleet control-plane` line in systemd/gpufleet-control-plane.service')
  return m[1].trim().split(/\s+/).filter(f => f !== '')
}

/** The unit's `Environment=MALLOC_…=…` settings (glibc's allocator), as it runs the server. */
function unitMallocEnv (): Record<string, string> {
  const unit = readFileSync(join(repoRoot, 'systemd', 'gpufleet-control-plane.service'), 'utf8')
  return Object.fromEntries([...unit.matchAll(/^Environment=(MALLOC_\w+)=(\S+)$/gm)].map(m => [m[1]!, m[2]!]))
}

async function startGpufleet (dir: string, db: string, extraArgs: string[] = []): Promise<{ child: ChildProcess, url: string, key: string }> {
  const port = await freePort()
  const key = `gfk_${randomBytes(32).toString('base64url')}`
  const child = spawn(process.execPath, [...unitNodeFlags(), join(repoRoot, 'bin', 'cli.ts'), 'control-plane', '--listen', `127.0.0.1:${port}`, '--db', db, '--log-level', 'warn', ...extraArgs], {
    env: { ...process.env, ...unitMallocEnv(), GPUFLEET_ADMIN_KEY: key },
    stdio: ['ignore', 'ignore', 'inherit'],
    cwd: dir,
  })
  const url = `http://127.0.0.1:${port}`
  await waitHttp(`${url}/healthz`, child, 'gpufleet control-plane')
  return { child, url, key }
}

function gpufleetParts (url: string, key: string, pids: number[]) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
  return {
    pids,
    ingest: { url, path: '/api/gpu-stats', headers, form: 'gpufleet' as const },
    async powerHistory () {
      const res = await fetch(`${url}/api/gpu-stats/power-history?days=1&bucket_minutes=5`, { headers })
      if (!res.ok) throw new Error(`power-history: ${res.status} ${await res.text()}`)
      return ((await res.json()) as { points: Array<{ power_draw_w: number }> }).points.map(p => p.power_draw_w)
    },
    // Acknowledged means committed.
    async flush () {},
  }
}

export async function startVictoriaMetrics (dir: string): Promise<{ child: ChildProcess, url: string, data: string }> {
  const port = await freePort()
  const data = join(dir, 'vm')
  // No result cache (every query does its work, as gpufleet's do); no 30 s latency offset
  // (the workload's newest samples are seconds old); room for the 1 s subquery over a day, which
  // at 5,000 hosts runs past the default 30 s query timeout.
  const child = spawn('victoria-metrics', [`-storageDataPath=${data}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=30d',
    '-search.disableCache', '-search.latencyOffset=0s', '-search.maxPointsPerTimeseries=200000', '-search.maxQueryDuration=300s', '-loggerLevel=ERROR',
    // What gpufleet's --telemetry vm= needs (docs/victoriametrics.md): replays kept once.
    '-dedup.minScrapeInterval=1ms'], { stdio: ['ignore', 'ignore', 'inherit'] })
  const url = `http://127.0.0.1:${port}`
  await waitHttp(`${url}/health`, child, 'victoria-metrics')
  return { child, url, data }
}

/** The MetricsQL of seed 000's power history: per 5-minute bucket the MAX of the per-second fleet sum. */
export async function vmPowerHistory (url: string): Promise<number[]> {
  const end = Math.floor(Date.now() / 300_000) * 300 + 300
  const q = new URLSearchParams({ query: 'max_over_time(sum(DCGM_FI_DEV_POWER_USAGE)[5m:1s])', start: String(end - 86_400), end: String(end), step: '300' })
  const res = await fetch(`${url}/api/v1/query_range?${q}`)
  if (!res.ok) throw new Error(`VictoriaMetrics query_range: ${res.status} ${await res.text()}`)
  const body = await res.json() as { data: { result: Array<{ values: Array<[number, string]> }> } }
  return (body.data.result[0]?.values ?? []).map(v => Number(v[1]))
}

export const TARGETS: Target[] = [
  {
    name: 'gpufleet-sqlite',
    async start (dir) {
      const { child, url, key } = await startGpufleet(dir, join(dir, 'gpufleet.db'))
      return {
        ...gpufleetParts(url, key, [child.pid!]),
        async stop () {
          await stopChild(child)
          return duBytes(dir)
        },
      }
    },
  },
  {
    name: 'gpufleet-postgres',
    async start (dir) {
      // A throwaway cluster as the tests start one (test/setup/postgres-server.ts), but with
      // PostgreSQL's default durability (fsync, synchronous commit): a peer is measured as shipped.
      const bin = postgresBinDir()
      const data = join(dir, 'pg')
      mkdirSync(data, { recursive: true })
      if (isRoot) {
        const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
        const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
        chownSync(dir, uid, gid)
        chownSync(data, uid, gid)
      }
      run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync'])
      const port = await freePort()
      run(join(bin, 'pg_ctl'), ['start', '-w', '-t', '60', '-D', data, '-l', join(data, 'server.log'), '-o',
        `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=100 -c timezone=UTC`])
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
      const dbUrl = `postgres://postgres@127.0.0.1:${port}/postgres`
      const { child, url, key } = await startGpufleet(dir, dbUrl)
      return {
        ...gpufleetParts(url, key, [child.pid!, postmaster]),
        async stop () {
          await stopChild(child)
          // Tables and indexes (the WAL's preallocated segments would say more about its settings than the rows).
          const client = new pg.Client({ connectionString: dbUrl })
          await client.connect()
          const bytes = Number((await client.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n)
          await client.end()
          run(join(bin, 'pg_ctl'), ['stop', '-m', 'fast', '-w', '-D', data])
          return bytes
        },
      }
    },
  },
  {
    name: 'victoria-metrics',
    async start (dir) {
      const { child, url, data } = await startVictoriaMetrics(dir)
      return {
        pids: [child.pid!],
        ingest: { url, path: '/api/v1/import', headers: { 'content-type': 'application/json' }, form: 'vm' },
        powerHistory: () => vmPowerHistory(url),
        async flush () {
          const res = await fetch(`${url}/internal/force_flush`)
          if (!res.ok) throw new Error(`force_flush: ${res.status}`)
        },
        async stop () {
          await stopChild(child)
          return duBytes(data)
        },
      }
    },
  },
  // Fourth target: gpufleet with `--telemetry vm=URL` (docs/victoriametrics.md): gpufleet
  // (SQLite for the relational state) in front of its own VictoriaMetrics, power history
  // answered through MetricsQL; CPU and RSS of both processes, disk of both. Run with
  // --targets …,gpufleet-vm.
  {
    name: 'gpufleet-vm',
    async start (dir) {
      const vm = await startVictoriaMetrics(dir)
      let gf
      try {
        gf = await startGpufleet(dir, join(dir, 'gpufleet.db'), ['--telemetry', `vm=${vm.url}`])
      } catch (err) {
        await stopChild(vm.child)
        throw err
      }
      return {
        ...gpufleetParts(gf.url, gf.key, [gf.child.pid!, vm.child.pid!]),
        async flush () { await fetch(`${vm.url}/internal/force_flush`) },
        async stop () {
          await stopChild(gf.child)
          await stopChild(vm.child)
          return duBytes(dir)
        },
      }
    },
  },
]
