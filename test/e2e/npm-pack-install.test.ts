import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, pollUntil } from './run-cli.ts'

// npm and the installed CLI run as an operator would: through sh, so tap's process-tracking
// hooks (which re-add NODE_OPTIONS --import to every spawn) stay out of them (as run-cli.ts).
const env = (): NodeJS.ProcessEnv => {
  const e = { ...process.env }
  delete e.NODE_OPTIONS
  return e
}
const SH = ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"']

function npm (args: string[], cwd: string): string {
  const run = spawnSync('/bin/sh', [...SH, 'npm', ...args], { cwd, env: env(), encoding: 'utf8', timeout: 300_000 })
  if (run.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${run.status}):\n${run.stdout}\n${run.stderr}`)
  return run.stdout
}

/** The .js files tsc would emit beside sources: none may be left in the checkout after packing. */
const strayJs = (): string[] => ['bin', 'agent', 'control-plane', 'shared'].flatMap(dir =>
  (readdirSync(join(ROOT, dir), { recursive: true }) as string[]).filter(f => f.endsWith('.js') && !f.includes('static')).map(f => join(dir, f)))

t.test('npm pack → npm install -g into a temp prefix → gpufleet --version and up, without the source tree', async t => {
  const dir = t.testdir()
  const before = strayJs()
  const tarball = npm(['pack', '--pack-destination', dir, '--silent'], ROOT).trim().split('\n').pop()!
  t.match(tarball, /^gpufleet-\d+\.\d+\.\d+.*\.tgz$/)
  t.same(strayJs(), before, 'postpack removed the emitted JavaScript from the checkout')
  const listing = spawnSync('tar', ['tzf', join(dir, tarball)], { encoding: 'utf8' }).stdout.split('\n')
  t.ok(listing.includes('package/bin/cli.js'), 'the tarball ships JavaScript (Node strips no types under node_modules)')
  t.ok(listing.includes('package/npm-shrinkwrap.json'), 'and the tested dependency tree')
  t.notOk(listing.some(f => f.startsWith('package/test/') && !/^package\/test\/(fakes\/(nvidia-smi|sim-state)|fixtures\/nvidia-smi\/)/.test(f)), 'no tests beyond the simulator')

  // A warm npm cache (npm ci filled it) serves the dependencies; the registry otherwise.
  const prefix = join(dir, 'prefix')
  npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)], dir)
  const gpufleet = join(prefix, 'bin', 'gpufleet')
  const version = spawnSync('/bin/sh', [...SH, gpufleet, '--version'], { cwd: dir, env: env(), encoding: 'utf8' })
  t.equal(version.status, 0, version.stderr)
  t.equal(version.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version)

  const up = spawn('/bin/sh', [...SH, gpufleet, 'up', '--data-dir', join(dir, 'data'), '--port', '0', '--agent-port', '0'], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { up.kill('SIGKILL') })
  let out = ''
  up.stdout.on('data', (b: Buffer) => { out += b.toString() })
  up.stderr.on('data', (b: Buffer) => { out += b.toString() })
  const cpUrl = await pollUntil(async () => /control plane\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], 60_000)
  if (cpUrl === undefined) t.comment(out)
  t.ok(cpUrl, 'up started from the installed package')
  t.match(out, /gfk_[0-9a-f]{64}/, 'and printed the superadmin key')
  const gpus = await pollUntil(async () => {
    const res = await fetch(`${cpUrl}/metrics`)
    const m = /^gpufleet_cp_gpus\{cluster="local",state="idle"\} (\d+)$/m.exec(await res.text())
    return m?.[1] === '8' ? 8 : undefined
  }, 20_000)
  t.equal(gpus, 8, 'the simulated agent reported its 8 GPUs')
  up.kill('SIGTERM')
  await new Promise(resolve => up.once('exit', resolve))
})
