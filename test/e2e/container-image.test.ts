import t from 'tap'
import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, pollUntil } from './run-cli.ts'
import { freePort } from '../setup/postgres-server.ts'

/**
 * The control plane's image (Dockerfile + scripts/build-image.sh, docs/install.md "Container
 * image"): checked against the package always; built and run where podman and mmdebstrap are
 * installed (test/setup/install-system-deps.sh installs them), from a Debian 12 base made here
 * by mmdebstrap, since no image registry is reachable in CI.
 */
// Building the image takes minutes (below): the file's limit (tap's parent process) and the build test's own.
t.setTimeout(1_800_000)
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string, bin: Record<string, string>, files: string[], optionalDependencies: Record<string, string> }
const script = join(ROOT, 'scripts/build-image.sh')
/** The Dockerfile's instructions, continuation lines joined. */
const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').filter(l => l.trim() !== '' && !l.startsWith('#'))
const instruction = (name: string): string[] => instructions.filter(l => l.startsWith(`${name} `)).map(l => l.slice(name.length + 1).trim())

/** Through sh, so tap's process-tracking hooks (which re-add NODE_OPTIONS to every spawn) stay out of npm, node and the builder. */
const sh = (cmd: string, args: string[], timeout = 120_000) =>
  spawnSync('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', cmd, ...args], { cwd: ROOT, encoding: 'utf8', timeout })

t.test('the Dockerfile fits the package: Debian 12, the packed tarball, its pinned Node, non-root, volume, port, healthcheck', async t => {
  t.match(instruction('ARG'), ['BASE=debian:bookworm-slim'], 'a Debian 12 base, replaceable')
  t.same(instruction('FROM'), ['${BASE} AS install', '${BASE}'])
  t.same(instruction('COPY')[0], 'gpufleet-*.tgz build-ca.pem /tmp/', 'the npm pack tarball (and the CA file the script writes, empty or not)')
  t.match(`gpufleet-${pkg.version}.tgz`, /^gpufleet-.*\.tgz$/, 'which npm pack names after the package')
  t.match(instruction('RUN')[1], /npm install -g .*\/tmp\/gpufleet-\*\.tgz/, 'installed with npm install -g')
  t.ok(pkg.optionalDependencies.node?.startsWith('^24'), 'the package depends on node@24 (optional: an offline install goes without), whose bin/node the image links')
  t.ok(existsSync(join(ROOT, 'node_modules/node/bin/node')), 'node@24 installs bin/node')
  t.equal(pkg.bin.gpufleet, 'bin/gpufleet', 'the entrypoint is the package\'s bin')
  t.ok(pkg.files.includes('bin/'), 'shipped in the tarball')
  t.match(instruction('RUN')[2], /node_modules\/node\/bin\/node \/usr\/local\/bin\/node.*bin\/gpufleet \/usr\/local\/bin\/gpufleet.*useradd --uid 10001 --user-group --no-create-home/)
  t.same(instruction('USER'), ['gpufleet'], 'not root')
  t.same(instruction('VOLUME'), ['/var/lib/gpufleet'])
  t.same(instruction('EXPOSE'), ['8080'])
  t.match(instruction('ENV')[0], /GPUFLEET_LISTEN=0\.0\.0\.0:8080 .*GPUFLEET_DB=\/var\/lib\/gpufleet\/gpufleet\.db/)
  t.match(instruction('HEALTHCHECK')[0], /CMD \["node", "-e", ".*\/healthz/)
  t.same(instruction('ENTRYPOINT'), ['["gpufleet"]'])
  t.same(instruction('CMD'), ['["control-plane"]'])

  // The variables the image sets are the control plane's own options.
  const help = sh(process.execPath, [join(ROOT, 'bin/gpufleet'), 'control-plane', '--help'])
  t.equal(help.status, 0, help.stderr)
  t.match(help.stdout, /--listen <host:port>/)
  t.match(help.stdout, /--db <path\|url>/)
})

t.test('scripts/build-image.sh: executable, valid bash, documented options, refuses unknown ones', async t => {
  t.doesNotThrow(() => accessSync(script, constants.X_OK))
  t.equal(sh('bash', ['-n', script]).status, 0)
  const help = sh(script, ['--help'])
  t.equal(help.status, 0)
  t.match(help.stdout, /^Builds the control plane's container image/)
  t.match(help.stdout, /--debootstrap/)
  t.match(help.stdout, /--base IMAGE/)
  const bad = sh(script, ['--nope'])
  t.equal(bad.status, 2)
  t.match(bad.stderr, /unknown argument --nope/)
  t.equal(sh(script, ['--base', 'x', '--debootstrap']).status, 2)
})

const has = (cmd: string): boolean => sh('/bin/sh', ['-c', `command -v ${cmd}`]).status === 0
const missing = ['podman', 'runc', 'mmdebstrap'].filter(c => !has(c))
// The build takes 8–15 min of one of tap's two slots: .ci/run builds it after `npm test`
// (GPUFLEET_TEST_IMAGE_BUILD=1), so the README's test command stays near 10 minutes.
const buildSkip = process.env.GPUFLEET_TEST_IMAGE_BUILD !== '1'
  ? 'the image build runs in .ci/run after npm test (set GPUFLEET_TEST_IMAGE_BUILD=1 to run it here)'
  : missing.length > 0 ? `not installed: ${missing.join(', ')} (test/setup/install-system-deps.sh installs them)` : false

t.test('built with podman from a mmdebstrap base, it runs: --version, the control plane answers /healthz as gpufleet', { skip: buildSkip }, async t => {
  // mmdebstrap ~2 min, the install stage's apt and npm ~3–5 min, on 2 busy cores.
  t.setTimeout(1_800_000)
  const id = `${process.pid}-${Date.now()}`
  const tag = `localhost/gpufleet-test:${id}`
  const name = `gpufleet-test-${id}`
  const volume = `gpufleet-test-${id}`
  const started = Date.now()
  const build = sh(script, ['--debootstrap', '--builder', 'podman', '--tag', tag], 1_500_000)
  t.teardown(() => {
    sh('podman', ['rmi', '-f', tag])
    // The build's intermediate stage images (untagged, newer than the base): no disk left behind
    // per run; the base itself stays, so the next run on this machine skips mmdebstrap.
    const stale = sh('podman', ['images', '-q', '--filter', 'dangling=true', '--filter', 'since=localhost/gpufleet-base:bookworm']).stdout.split('\n').filter(Boolean)
    if (stale.length > 0) sh('podman', ['rmi', '-f', ...stale])
  })
  t.equal(build.status, 0, build.status === 0 ? 'scripts/build-image.sh --debootstrap' : `build-image.sh failed:\n${build.stderr.slice(-4000)}`)
  t.equal(build.stdout.trim().split('\n').pop(), tag, 'the script prints the image name last')
  t.comment(`image built in ${Math.round((Date.now() - started) / 1000)} s`)
  if (build.status !== 0) return

  // runc and cgroupfs: crun refuses a hybrid cgroup host; limits no higher than this host's
  // (a container here may not raise them). Neither is needed on an ordinary Docker or podman host.
  const hardNofile = sh('/bin/sh', ['-c', 'ulimit -Hn']).stdout.trim()
  const runFlags = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--ulimit', `nofile=${hardNofile}:${hardNofile}`, '--ulimit', 'nproc=4096:4096']

  const version = sh('podman', ['run', '--rm', '--no-healthcheck', ...runFlags, tag, '--version'])
  t.equal(version.status, 0, version.status === 0 ? 'podman run --rm IMAGE --version' : version.stderr)
  t.equal(version.stdout.trim(), pkg.version, 'gpufleet --version from the image')

  const inspect = sh('podman', ['image', 'inspect', tag])
  const [image] = JSON.parse(inspect.stdout) as Array<{ Config: { User: string, Volumes: Record<string, unknown>, ExposedPorts: Record<string, unknown> }, Healthcheck?: { Test: string[] } }>
  t.equal(image?.Config.User, 'gpufleet', 'the image runs as gpufleet')
  t.ok('/var/lib/gpufleet' in (image?.Config.Volumes ?? {}), 'the data volume')
  t.ok('8080/tcp' in (image?.Config.ExposedPorts ?? {}), 'the port')
  t.match(image?.Healthcheck?.Test, ['CMD', 'node', '-e', /healthz/], 'the healthcheck is kept (docker format)')

  const port = await freePort()
  const run = sh('podman', ['run', '-d', '--name', name, ...runFlags, '--network', 'host', '-e', `GPUFLEET_LISTEN=127.0.0.1:${port}`, '-v', `${volume}:/var/lib/gpufleet`, tag])
  t.teardown(() => { sh('podman', ['rm', '-f', '-t', '0', name]); sh('podman', ['volume', 'rm', '-f', volume]) })
  // (podman logs that it cannot reach systemd to schedule the healthcheck: `healthcheck run` below runs it once)
  t.equal(run.status, 0, run.status === 0 ? 'podman run -d' : run.stderr)
  const health = await pollUntil(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`)
    return res.status === 200 ? res.status : undefined
  }, 120_000, 500)
  const logs = sh('podman', ['logs', name])
  t.equal(health, 200, health === 200 ? 'the control plane in the container answers /healthz' : `no /healthz; its logs:\n${logs.stdout}${logs.stderr}`)
  t.match(logs.stdout + logs.stderr, /gfk_[0-9a-f]{64}/, 'and printed its first superadmin key')
  t.equal(sh('podman', ['exec', name, 'id', '-un']).stdout.trim(), 'gpufleet', 'running as gpufleet')
  t.equal(sh('podman', ['exec', name, 'test', '-s', '/var/lib/gpufleet/gpufleet.db']).status, 0, 'its database is in the volume')
  const check = sh('podman', ['healthcheck', 'run', name])
  t.equal(check.status, 0, check.status === 0 ? 'the image\'s HEALTHCHECK passes (podman healthcheck run)' : `HEALTHCHECK failed: ${check.stdout}${check.stderr}`)
})
