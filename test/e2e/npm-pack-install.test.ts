import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { ROOT, pollUntil } from './run-cli.ts'

// npm and the installed CLI run as an operator would: through sh, so tap's process-tracking
// hooks (which re-add NODE_OPTIONS --import to every spawn) stay out of them (as run-cli.ts).
// PATH starts with this Node 24's directory: the host's own Node 24, which an offline install
// needs (the pinned `node` package is an optional dependency it cannot fetch).
const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` }
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

interface Manifest { version: string, dependencies: Record<string, string>, optionalDependencies: Record<string, string>, bundleDependencies: string[] }
interface LockEntry { inBundle?: boolean, devOptional?: boolean }
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }

/** Package directories under package/node_modules/ in a tarball listing, scoped and nested ones too. */
const bundledIn = (listing: string[]): string[] => [...new Set(listing.flatMap(f => {
  const m = /^package\/((?:node_modules\/(?:@[^/]+\/)?[^/.][^/]*\/)+)/.exec(f)
  return m === null ? [] : [m[1]!.slice(0, -1)]
}))].sort()

t.test('every runtime dependency is bundled, except the optional pinned Node', async t => {
  t.same(pkg.bundleDependencies, Object.keys(pkg.dependencies), 'bundleDependencies lists dependencies, in order')
  t.same(Object.keys(pkg.optionalDependencies), ['node'], 'node@24 (a 45 MB, per-platform binary fetched by its preinstall) stays out')
  t.notOk('node' in pkg.dependencies)
})

// Installing with the registry as well (the optional pinned Node 24 comes too) is a second npm
// install of the 6,000-file tarball: ~35 s of CPU, npm's own. The image build installs the same
// way and runs on that Node, so both run in .ci/run's packaging pass after npm test
// (GPUFLEET_TEST_IMAGE_BUILD=1), keeping the README's test command near 10 minutes.
const packagingSkip = process.env.GPUFLEET_TEST_IMAGE_BUILD !== '1'
  ? 'the install with the registry runs in .ci/run after npm test (set GPUFLEET_TEST_IMAGE_BUILD=1 to run it here)'
  : false

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
  // What package-lock.json marks bundled, less the types only a devDependency needs.
  const runtime = Object.entries(lock.packages).filter(([, e]) => e.inBundle === true && e.devOptional !== true).map(([p]) => p).sort()
  t.same(bundledIn(listing), runtime, 'the tarball bundles the runtime dependency tree, transitive ones included')

  // An air-gapped host: no registry, nothing in npm's cache, Node 24 installed.
  const offline = join(dir, 'offline')
  const emptyCache = join(dir, 'empty-cache')
  mkdirSync(emptyCache)
  npm(['install', '-g', '--prefix', offline, '--offline', '--cache', emptyCache, '--no-audit', '--no-fund', join(dir, tarball)], dir)
  t.notOk(existsSync(join(offline, 'lib/node_modules/gpufleet/node_modules/node')), 'the optional pinned Node was left out, not failed on')
  const gpufleet = join(offline, 'bin', 'gpufleet')
  const version = spawnSync('/bin/sh', [...SH, gpufleet, '--version'], { cwd: dir, env: env(), encoding: 'utf8' })
  t.equal(version.status, 0, version.stderr)
  t.equal(version.stdout.trim(), pkg.version)

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

  // With the registry (here the warm cache npm ci filled), the optional pinned Node 24 comes too,
  // for hosts whose own node is older (bin/gpufleet re-executes under it; the Dockerfile links it).
  t.test('with the registry, the pinned Node 24 installs with it', { skip: packagingSkip }, async t => {
    const online = join(dir, 'online')
    npm(['install', '-g', '--prefix', online, '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)], dir)
    const pinned = spawnSync(join(online, 'lib/node_modules/gpufleet/node_modules/node/bin/node'), ['--version'], { encoding: 'utf8' })
    t.match(pinned.stdout, /^v24\./, 'the pinned Node 24 installed with it')
    const onlineVersion = spawnSync('/bin/sh', [...SH, join(online, 'bin', 'gpufleet'), '--version'], { cwd: dir, env: env(), encoding: 'utf8' })
    t.equal(onlineVersion.stdout.trim(), pkg.version, onlineVersion.stderr)
  })
})
