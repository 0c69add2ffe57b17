import { httpError } from '../../shared/error-codes.ts'

export interface PurgeOptions {
  force: boolean
}

interface BodyIssue {
  path: string
  code: 'invalid_type' | 'unrecognized_keys'
  message: string
}

/**
 * Seed 004 `POST /v1/gpu/purge` body: optional; when present a JSON object with at most
 * `force: boolean` (default false). A body whose Content-Type says it is not JSON (curl -d's
 * form encoding, fetch's text/plain default for strings) gets 415 naming the fix, rather
 * than being parsed on a guess; a body with no Content-Type at all is read as JSON.
 */
export function parsePurgeBody (text: string, contentType: string | undefined): PurgeOptions {
  if (text.trim() === '') return { force: false }
  if (contentType !== undefined && contentType.trim() !== '' && !isJson(contentType)) {
    throw httpError('UNSUPPORTED_MEDIA_TYPE',
      `request body must be JSON (Content-Type: application/json), got ${JSON.stringify(contentType)}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw httpError('INVALID_BODY', `request body is not valid JSON: ${(err as Error).message}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw httpError('INVALID_BODY', `request body must be a JSON object such as {"force": false}, got ${kind(value)}`)
  }
  // Strict: a typo such as {"froce": true} must fail loudly, not run a non-force purge.
  // Checked by hand, not with zod: one optional boolean is not worth ~5 MB of the agent's RSS.
  const body = value as Record<string, unknown>
  const issues: BodyIssue[] = []
  if (body.force !== undefined && typeof body.force !== 'boolean') {
    issues.push({ path: 'force', code: 'invalid_type', message: `"force" must be a boolean (true or false), got ${kind(body.force)}` })
  }
  const unknown = Object.keys(body).filter(k => k !== 'force')
  if (unknown.length > 0) {
    issues.push({
      path: '',
      code: 'unrecognized_keys',
      message: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map(k => JSON.stringify(k)).join(', ')} (the only field is "force")`,
    })
  }
  if (issues.length > 0) {
    throw httpError('INVALID_BODY', `invalid purge request: ${issues.map(i => i.message).join('; ')}`, { issues })
  }
  return { force: body.force === true }
}

function isJson (contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

function kind (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}
