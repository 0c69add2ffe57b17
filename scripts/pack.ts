// npm pack's prepack/postpack (package.json): `build` emits JavaScript next to every shipped .ts
// file (tsconfig.build.json) and pins the tested dependency tree (npm-shrinkwrap.json from
// package-lock.json); `clean` removes exactly what `build` wrote, so the source tree keeps
// running its .ts files (bin/gpufleet prefers the .js only under node_modules). npm pack itself
// then copies the runtime dependencies (bundleDependencies) from node_modules into the tarball.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const manifest = join(root, '.pack-emitted')
const shrinkwrap = join(root, 'npm-shrinkwrap.json')

function build (): void {
  clean()
  // npm pack bundles a symlinked node_modules' top-level packages but silently leaves out their
  // own dependencies (npm resolves them outside the package): a tarball that installs, then fails.
  if (lstatSync(join(root, 'node_modules'), { throwIfNoEntry: false })?.isSymbolicLink() === true) {
    process.stderr.write('prepack: node_modules is a symbolic link; npm pack would bundle an incomplete dependency tree. Pack from a checkout with its own node_modules (npm ci).\n')
    process.exit(1)
  }
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--listEmittedFiles'], { cwd: root, encoding: 'utf8' })
  const emitted = run.stdout.split('\n').filter(l => l.startsWith('TSFILE: ')).map(l => l.slice('TSFILE: '.length).trim())
  // Written before the status check: a failed build still leaves nothing behind after clean.
  writeFileSync(manifest, emitted.join('\n'))
  if (run.status !== 0) {
    process.stderr.write(run.stdout + run.stderr)
    clean()
    process.exit(1)
  }
  copyFileSync(join(root, 'package-lock.json'), shrinkwrap)
  process.stderr.write(`prepack: emitted ${emitted.length} JavaScript files; npm-shrinkwrap.json from package-lock.json\n`)
}

function clean (): void {
  if (existsSync(manifest)) {
    for (const file of readFileSync(manifest, 'utf8').split('\n')) {
      // Only .js files tsc wrote beside a .ts source (never the console's own static .js).
      if (file.endsWith('.js') && existsSync(file.replace(/\.js$/, '.ts'))) rmSync(file, { force: true })
    }
    rmSync(manifest, { force: true })
  }
  rmSync(shrinkwrap, { force: true })
}

const step = process.argv[2]
if (step === 'build') build()
else if (step === 'clean') clean()
else {
  process.stderr.write('usage: node scripts/pack.ts build|clean\n')
  process.exit(2)
}
