import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { availableParallelism, hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './postgres-server.ts'

/**
 * A real one-node Slurm on loopback from Debian's packages, for the Slurm plane's tests: munged,
 * MariaDB, slurmdbd, slurmctld, slurmd (4 fake GPUs: gres.conf points at plain files) and
 * slurmrestd with JWT auth, all in one temp dir with random ports, run as the project's own
 * setup (test/setup/install-system-deps.sh installs the packages). A part that cannot start
 * throws with its log: the tests fail loudly, they never skip.
 *
 * Root is needed (slurmd runs jobs as their user, munged and MariaDB as root here). As another
 * user the daemons are started through `sudo -n`, as the install script uses sudo.
 */
export interface TestSlurm {
  cluster: string
  /** Environment for Slurm's client commands (SLURM_CONF). */
  env: NodeJS.ProcessEnv
  /** slurmrestd's base URL. */
  restUrl: string
  /** A JWT for slurmrestd (scontrol token). */
  token: string
  dir: string
  /** The client commands' working directory, so sbatch's jobs write their slurm-<id>.out there, never in the repository. */
  jobDir: string
  /** Runs a Slurm client command against this cluster; throws with its output on failure. */
  run: (cmd: string, args: string[]) => string
  /** Stops one daemon (e.g. slurmdbd, to make the accounting unreachable). */
  stopDaemon: (name: 'slurmdbd' | 'slurmrestd' | 'mariadbd') => Promise<void>
  stop: () => Promise<void>
}

const SBIN = '/usr/sbin'
const CLUSTER = 'gpufleettest'
const GPUS = 4

export async function startTestSlurm (): Promise<TestSlurm> {
  for (const bin of ['munged', 'mariadbd', 'slurmdbd', 'slurmctld', 'slurmd', 'slurmrestd']) {
    if (!existsSync(join(SBIN, bin))) {
      throw new Error(`${SBIN}/${bin} not found: run test/setup/install-system-deps.sh (Debian's slurmctld, slurmd, slurmdbd, slurmrestd, munge, mariadb-server) — the Slurm plane's tests need a real Slurm`)
    }
  }
  const asRoot = process.getuid?.() === 0
  const wrap = (argv: string[]): string[] => asRoot ? argv : ['sudo', '-n', ...argv]
  const dir = mkdtempSync(join(tmpdir(), 'gpufleet-slurm-'))
  chmodSync(dir, 0o755)
  const children: Array<{ name: string, child: ChildProcess, log: string }> = []
  const node = hostname().split('.')[0]!
  const [dbPort, dbdPort, ctldPort, slurmdPort, restPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])
  const p = (name: string) => join(dir, name)
  for (const d of ['db', 'state', 'spool', 'gpu', 'log', 'run', 'jobs']) mkdirSync(p(d), { recursive: true })

  const end = async (child: ChildProcess): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise(resolve => child.once('exit', resolve))
    try { process.kill(-child.pid!, 'SIGTERM') } catch { child.kill('SIGTERM') }
    // (The grace timer is cleared once the race is decided: left pending, it kept the test
    // file's process alive 5 s after its last test.)
    let grace: NodeJS.Timeout | undefined
    await Promise.race([gone, new Promise(resolve => { grace = setTimeout(resolve, 5000) })])
    clearTimeout(grace)
    try { process.kill(-child.pid!, 'SIGKILL') } catch {}
  }
  const stopDaemon = async (name: string): Promise<void> => {
    for (const c of children) if (c.name === name) await end(c.child)
  }
  const stop = async (): Promise<void> => {
    for (const { child } of [...children].reverse()) await end(child)
    // Job processes slurmd started are in its own session: kill whatever still runs from our dir.
    const pkill = wrap(['pkill', '-KILL', '-f', `${dir}/`])
    spawnSync(pkill[0]!, pkill.slice(1), { stdio: 'ignore' })
    // As another user, the daemons (root) left root-owned files behind.
    if (asRoot) rmSync(dir, { recursive: true, force: true })
    else spawnSync('sudo', ['-n', 'rm', '-rf', dir], { stdio: 'ignore' })
  }

  const daemon = (name: string, argv: string[], env: NodeJS.ProcessEnv = {}): ChildProcess => {
    const log = p(`log/${name}.out`)
    const out = readFileOrCreate(log)
    const full = wrap(argv)
    const child = spawn(full[0]!, full.slice(1), { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env } })
    children.push({ name, child, log })
    return child
  }

  const fail = async (what: string, logs: string[]): Promise<never> => {
    const text = logs.map(l => `--- ${l}\n${tail(l)}`).join('\n')
    await stop()
    throw new Error(`test Slurm: ${what}\n${text}`)
  }

  try {
    // munge: a fresh key and socket of our own (AuthInfo=socket= points every Slurm part at it).
    const key = p('munge.key')
    writeFileSync(key, Buffer.alloc(1024, 7).map((_, i) => (i * 131 + 17) % 256))
    chmodSync(key, 0o400)
    const mungeSock = p('run/munge.sock')
    daemon('munged', [join(SBIN, 'munged'), '--foreground', '--force', `--key-file=${key}`, `--socket=${mungeSock}`,
      `--pid-file=${p('run/munged.pid')}`, `--log-file=${p('log/munged.log')}`, `--seed-file=${p('run/munge.seed')}`, '--num-threads=2'])

    // MariaDB on loopback TCP (slurmdbd has no socket option), durability off: thrown away.
    const install = spawnSync(wrap(['mariadb-install-db'])[0]!, wrap(['mariadb-install-db', '--no-defaults', `--datadir=${p('db')}`, '--user=root',
      '--auth-root-authentication-method=normal', '--skip-test-db'])
      .slice(1), { encoding: 'utf8' })
    if (install.status !== 0) await fail('mariadb-install-db failed', [])
    daemon('mariadbd', [join(SBIN, 'mariadbd'), '--no-defaults', `--datadir=${p('db')}`, '--user=root', '--bind-address=127.0.0.1', `--port=${dbPort}`,
      `--socket=${p('run/mysql.sock')}`, `--pid-file=${p('run/mysql.pid')}`, '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0',
      '--innodb-doublewrite=0', '--innodb-buffer-pool-size=64M', '--skip-name-resolve', `--log-error=${p('log/mariadb.log')}`])

    const jwtKey = p('jwt.key')
    writeFileSync(jwtKey, Buffer.alloc(64, 3).map((_, i) => (i * 97 + 5) % 256))
    chmodSync(jwtKey, 0o600)
    const auth = [`AuthType=auth/munge`, `AuthInfo=socket=${mungeSock}`, 'AuthAltTypes=auth/jwt', `AuthAltParameters=jwt_key=${jwtKey}`]
    writeFileSync(p('slurmdbd.conf'), [
      ...auth,
      'DbdHost=localhost', `DbdAddr=127.0.0.1`, `DbdPort=${dbdPort}`, 'SlurmUser=root',
      'StorageType=accounting_storage/mysql', 'StorageHost=127.0.0.1', `StoragePort=${dbPort}`, 'StorageUser=root', 'StorageLoc=slurm_acct_db',
      `PidFile=${p('run/slurmdbd.pid')}`, `LogFile=${p('log/slurmdbd.log')}`, 'DebugLevel=info', '',
    ].join('\n'))
    chmodSync(p('slurmdbd.conf'), 0o600)
    // slurmdbd wants its config owned by SlurmUser (root here).
    if (!asRoot) spawnSync('sudo', ['-n', 'chown', 'root:root', p('slurmdbd.conf'), jwtKey], { stdio: 'ignore' })
    // slurmd wants GPU files to be character devices: links to /dev/null are (stat follows them).
    for (let i = 0; i < GPUS; i++) symlinkSync('/dev/null', p(`gpu/nvidia${i}`))
    writeFileSync(p('gres.conf'), `NodeName=${node} Name=gpu File=${p('gpu')}/nvidia[0-${GPUS - 1}]\n`)
    writeFileSync(p('slurm.conf'), [
      `ClusterName=${CLUSTER}`, `SlurmctldHost=${node}(127.0.0.1)`, `SlurmctldPort=${ctldPort}`, `SlurmdPort=${slurmdPort}`,
      ...auth, 'SlurmUser=root', 'SlurmdUser=root',
      `StateSaveLocation=${p('state')}`, `SlurmdSpoolDir=${p('spool')}`,
      `SlurmctldPidFile=${p('run/slurmctld.pid')}`, `SlurmdPidFile=${p('run/slurmd.pid')}`,
      `SlurmctldLogFile=${p('log/slurmctld.log')}`, `SlurmdLogFile=${p('log/slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'JobAcctGatherType=jobacct_gather/none', 'MpiDefault=none',
      'SelectType=select/cons_tres', 'SelectTypeParameters=CR_Core', 'GresTypes=gpu', 'SchedulerType=sched/builtin',
      'AccountingStorageType=accounting_storage/slurmdbd', 'AccountingStorageHost=localhost', `AccountingStoragePort=${dbdPort}`,
      'AccountingStorageTRES=gres/gpu', `AccountingStoragePass=${mungeSock}`, 'JobCompType=jobcomp/none', 'ReturnToService=2', 'MinJobAge=5',
      'SlurmctldTimeout=30', 'SlurmdTimeout=30', 'InactiveLimit=0', 'KillWait=1',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${availableParallelism()} Gres=gpu:${GPUS} State=UNKNOWN`,
      `PartitionName=gpu Nodes=${node} Default=YES MaxTime=INFINITE State=UP`, '',
    ].join('\n'))
    const env = { SLURM_CONF: p('slurm.conf') }
    const run = (cmd: string, args: string[]): string => {
      const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, cwd: p('jobs') })
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`)
      return r.stdout
    }

    if (!await waitFor(() => existsSync(mungeSock), 10_000)) await fail('munged did not start', [p('log/munged.log'), p('log/munged.out')])
    if (!await waitFor(() => spawnSync('mariadb-admin', ['--no-defaults', '-h', '127.0.0.1', '-P', String(dbPort), '-u', 'root', 'ping'], { stdio: 'ignore' }).status === 0, 30_000)) {
      await fail('MariaDB did not start', [p('log/mariadb.log')])
    }
    daemon('slurmdbd', [join(SBIN, 'slurmdbd'), '-D'], env)
    let lastDbdAnswer = ''
    const dbdUp = () => {
      const r = spawnSync('sacctmgr', ['-i', '-n', 'show', 'cluster'], { env: { ...process.env, ...env }, encoding: 'utf8' })
      lastDbdAnswer = r.stderr + r.stdout
      return r.status === 0
    }
    if (!await waitFor(dbdUp, 30_000)) await fail(`slurmdbd did not answer sacctmgr: ${lastDbdAnswer}`, [p('log/slurmdbd.log'), p('log/slurmdbd.out')])
    run('sacctmgr', ['-i', 'add', 'cluster', CLUSTER])
    daemon('slurmctld', [join(SBIN, 'slurmctld'), '-D', '-i'], env)
    daemon('slurmd', [join(SBIN, 'slurmd'), '-D', '-N', node], env)
    const nodeUp = () => {
      const r = spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { encoding: 'utf8', env: { ...process.env, ...env } })
      return r.status === 0 && /^(idle|mixed|allocated)/m.test(r.stdout)
    }
    if (!await waitFor(nodeUp, 30_000)) await fail('the node did not come up idle', [p('log/slurmctld.log'), p('log/slurmd.log'), p('log/slurmd.out')])
    const token = /SLURM_JWT=(\S+)/.exec(run('scontrol', ['token', 'username=root', 'lifespan=7200']))?.[1]
    if (token === undefined) await fail('scontrol token gave no token', [p('log/slurmctld.log')])
    // slurmrestd refuses to run as root or SlurmUser: it drops to nobody, and the JWT says who asks.
    daemon('slurmrestd', [join(SBIN, 'slurmrestd'), '-a', 'rest_auth/jwt', '-s', 'openapi/dbv0.0.38', '-u', 'nobody', '-g', 'nogroup', `127.0.0.1:${restPort}`],
      { ...env, SLURM_JWT: 'daemon' })
    const restUrl = `http://127.0.0.1:${restPort}`
    const restUp = async () => {
      try {
        const res = await fetch(`${restUrl}/openapi`, { signal: AbortSignal.timeout(2000) })
        return res.status < 500
      } catch { return false }
    }
    if (!await waitForAsync(restUp, 20_000)) await fail('slurmrestd did not answer', [p('log/slurmrestd.out')])
    return { cluster: CLUSTER, env, restUrl, token: token!, dir, jobDir: p('jobs'), run, stopDaemon, stop }
  } catch (err) {
    if (existsSync(dir)) await stop()
    throw err
  }
}

function readFileOrCreate (path: string): number {
  return openSync(path, 'a')
}

function tail (path: string): string {
  try { return readFileSync(path, 'utf8').split('\n').slice(-25).join('\n') } catch { return '(no log)' }
}

async function waitFor (ok: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (ok()) return true
    await new Promise(r => setTimeout(r, 200))
  }
  return ok()
}

async function waitForAsync (ok: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await ok()) return true
    await new Promise(r => setTimeout(r, 200))
  }
  return ok()
}
