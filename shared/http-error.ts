import { CodedError } from './coded-error.ts'

/**
 * The one error every gpufleet server throws for a client mistake. Rendered by
 * `errorBody` into the one response shape (fastify's): {statusCode, code, error, message}.
 * `code` is stable and machine-readable (callers branch on it; shared/error-codes.ts lists
 * every one with its status); `message` is for people.
 */
export class HttpError extends CodedError {
  readonly status: number
  readonly details: Record<string, unknown> | undefined

  constructor (status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(code, message)
    this.name = 'HttpError'
    this.status = status
    this.details = details
  }
}

export interface ErrorBody {
  statusCode: number
  code: string
  error: string
  message: string
  details?: Record<string, unknown>
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

export function errorBody (status: number, code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  const body: ErrorBody = { statusCode: status, code, error: REASONS[status] ?? 'Error', message }
  if (details !== undefined) body.details = details
  return body
}
