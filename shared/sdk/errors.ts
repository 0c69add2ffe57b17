import { CodedError } from '../coded-error.ts'

/**
 * The SDK's one error family (undici-style): every error a client method throws is a
 * GpufleetError with a stable `code` callers branch on. Server answers carry the server's own
 * code, status, message and details (the one error shape, shared/http-error.ts); failures
 * before an answer have codes of their own.
 */
export class GpufleetError extends CodedError {
  constructor (code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'GpufleetError'
  }
}

/** The server answered 4xx/5xx: `code` is its stable code (e.g. VALIDATION_FAILED). */
export class ApiError extends GpufleetError {
  readonly statusCode: number
  /** The reason phrase the server sent (`error`), e.g. "Bad Request". */
  readonly error: string
  readonly details: Record<string, unknown> | undefined
  readonly method: string
  readonly url: string

  constructor (init: { statusCode: number, code: string, error: string, message: string, details?: Record<string, unknown> | undefined, method: string, url: string }) {
    super(init.code, init.message)
    this.name = 'ApiError'
    this.statusCode = init.statusCode
    this.error = init.error
    this.details = init.details
    this.method = init.method
    this.url = init.url
  }
}

/** No answer: connection refused or reset, DNS, TLS. `cause` holds the socket error. */
export class NetworkError extends GpufleetError {
  static readonly CODE = 'GPUFLEET_ERR_NETWORK'
  constructor (message: string, cause: unknown) {
    super(NetworkError.CODE, message, { cause })
    this.name = 'NetworkError'
  }
}

/** No (complete) answer within the timeout. */
export class TimeoutError extends GpufleetError {
  static readonly CODE = 'GPUFLEET_ERR_TIMEOUT'
  constructor (message: string, cause: unknown) {
    super(TimeoutError.CODE, message, { cause })
    this.name = 'TimeoutError'
  }
}

/** A 2xx whose body is not the JSON we expected (a proxy's HTML page, a truncated body). */
export class ResponseError extends GpufleetError {
  static readonly CODE = 'GPUFLEET_ERR_BAD_RESPONSE'
  readonly statusCode: number
  constructor (message: string, statusCode: number) {
    super(ResponseError.CODE, message)
    this.name = 'ResponseError'
    this.statusCode = statusCode
  }
}

/**
 * `operatorAgent(node)` could not find where to send the operator call: no node with that
 * hostname (GPUFLEET_ERR_NODE_NOT_FOUND), or the node never registered an agent_url
 * (GPUFLEET_ERR_NO_AGENT_URL).
 */
export class NodeLookupError extends GpufleetError {
  static readonly NOT_FOUND = 'GPUFLEET_ERR_NODE_NOT_FOUND'
  static readonly NO_AGENT_URL = 'GPUFLEET_ERR_NO_AGENT_URL'
  constructor (code: typeof NodeLookupError.NOT_FOUND | typeof NodeLookupError.NO_AGENT_URL, message: string) {
    super(code, message)
    this.name = 'NodeLookupError'
  }
}

/** A bad client option or argument, thrown before anything is sent. */
export class InvalidArgumentError extends GpufleetError {
  static readonly CODE = 'GPUFLEET_ERR_INVALID_ARG'
  constructor (message: string) {
    super(InvalidArgumentError.CODE, message)
    this.name = 'InvalidArgumentError'
  }
}
