import { z } from 'zod'
import { HttpError } from '../../shared/http-error.ts'

export interface PurgeOptions {
  force: boolean
}

// Strict: a typo such as {"froce": true} must fail loudly, not run a non-force purge.
const purgeBodySchema = z.object({ force: z.boolean().optional() }).strict()

/**
 * Seed 004 `POST /v1/gpu/purge` body: optional; when present a JSON object with at most
 * `force: boolean` (default false). A body whose Content-Type says it is not JSON (curl -d's
 * form encoding, fetch's text/plain default for strings) gets 415 naming the fix, rather
 * than being parsed on a guess; a body with no Content-Type at all is read as JSON.
 */
export function parsePurgeBody (text: string, contentType: string | undefined): PurgeOptions {
  if (text.trim() === '') return { force: false }
  if (contentType !== undefined && contentType.trim() !== '' && !isJson(contentType)) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE',
      `request body must be JSON (Content-Type: application/json), got ${JSON.stringify(contentType)}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new HttpError(400, 'INVALID_BODY', `request body is not valid JSON: ${(err as Error).message}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'INVALID_BODY', `request body must be a JSON object such as {"force": false}, got ${kind(value)}`)
  }
  const parsed = purgeBodySchema.safeParse(value)
  if (!parsed.success) {
    const problems = parsed.error.issues.map(i => describeIssue(i, value))
    throw new HttpError(400, 'INVALID_BODY', `invalid purge request: ${problems.join('; ')}`, {
      issues: parsed.error.issues.map(i => ({ path: i.path.map(String).join('.'), code: i.code, message: describeIssue(i, value) })),
    })
  }
  return { force: parsed.data.force ?? false }
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

function describeIssue (issue: z.core.$ZodIssue, body: object): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(k => JSON.stringify(k)).join(', ')} (the only field is "force")`
  }
  if (issue.code === 'invalid_type' && issue.path[0] === 'force') {
    return `"force" must be a boolean (true or false), got ${kind((body as { force?: unknown }).force)}`
  }
  return `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`
}
