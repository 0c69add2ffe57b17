import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ERROR_CODES, httpError, type ErrorCode } from '../../shared/error-codes.ts'
import { HttpError } from '../../shared/http-error.ts'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

function sources (dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap(e => {
    const path = `${dir}/${e.name}`
    if (e.isDirectory()) return sources(path)
    return /\.tsx?$/.test(e.name) ? [path] : []
  })
}

const files = ['agent', 'control-plane', 'shared', 'bin'].flatMap(sources).filter(f => f !== 'shared/error-codes.ts')
const text = files.map(f => readFileSync(join(ROOT, f), 'utf8')).join('\n')

// The literal codes handed to whatever makes an error answer.
const THROWN = [
  /\bhttpError\(\s*'([A-Z0-9_]+)'/g,
  /\bnew HttpError\([^,]+,\s*'([A-Z0-9_]+)'/g,
  /\berrorBody\([^,]+,\s*'([A-Z0-9_]+)'/g,
]

t.test('every error code thrown in the source is in the catalog', async t => {
  const used = new Set(THROWN.flatMap(re => [...text.matchAll(re)].map(m => m[1] as string)))
  t.ok(used.size > 30, `found the throw sites (${used.size} codes)`)
  t.same([...used].filter(code => !(code in ERROR_CODES)).sort(), [])
})

t.test('every catalog code is used somewhere (none is dead)', async t => {
  t.same(Object.keys(ERROR_CODES).filter(code => !text.includes(`'${code}'`)), [])
})

t.test('no throw site spells the status itself', async t => {
  const literal = [...text.matchAll(/\bnew HttpError\(\s*\d+,/g)].map(m => m[0])
  t.same(literal, [], 'use httpError(code): the catalog holds the status')
})

t.test('each code has an error status and a message; httpError uses them', async t => {
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    t.ok(spec.status >= 400 && spec.status <= 599 && spec.message.length > 0, code)
  }
  const err = httpError('JOB_NOT_FOUND')
  t.ok(err instanceof HttpError)
  t.match(err, { status: 404, code: 'JOB_NOT_FOUND', message: 'no such job', details: undefined })
  t.match(httpError('VALIDATION_FAILED' satisfies ErrorCode, 'since: bad', { issues: [] }), { status: 400, message: 'since: bad', details: { issues: [] } })
})
