import t from 'tap'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')

// npm test's type check (`npm run typecheck`) as one of its files: it runs in a tap slot beside
// the other files instead of before them all (about a minute of the run's wall clock). A type
// error fails this test with tsc's errors as the diff.
t.test('tsc -p tsconfig.json: no type errors', async t => {
  // Without tap's process-tracking hooks (NODE_OPTIONS --import): tsc needs none.
  const env = { ...process.env, NODE_OPTIONS: undefined }
  const tsc = spawn(process.execPath, [TSC, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  tsc.stdout.on('data', (b: Buffer) => { out += b.toString() })
  tsc.stderr.on('data', (b: Buffer) => { out += b.toString() })
  const code = await new Promise<number | null>(resolve => tsc.on('close', resolve))
  t.equal(out, '', 'tsc prints no errors')
  t.equal(code, 0, 'tsc exits 0')
})
