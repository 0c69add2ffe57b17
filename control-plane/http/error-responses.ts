import { ErrorBodySchema } from '../../shared/wire/error-body-schema.ts'

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (VALIDATION_FAILED, BAD_REQUEST)',
  401: 'Missing, invalid or revoked API key (UNAUTHORIZED)',
  403: 'Key lacks the required scope (FORBIDDEN)',
  404: 'No such resource (NOT_FOUND)',
  409: 'Conflict with the current state',
  413: 'Body over the limit (PAYLOAD_TOO_LARGE)',
  415: 'Body is not JSON (UNSUPPORTED_MEDIA_TYPE)',
  429: 'Too many failed authentication attempts (TOO_MANY_AUTH_FAILURES)',
}

/** `responses` entries for the given error statuses, all in the one shape. */
export function errorResponses (...statuses: number[]) {
  return Object.fromEntries(statuses.map(s => [s, {
    description: DESCRIPTIONS[s] ?? 'Error',
    content: { 'application/json': { schema: ErrorBodySchema } },
  }]))
}
