/**
 * An error with a stable `code` that callers branch on (undici's style). HttpError (the wire's
 * errors, shared/error-codes.ts), AgentError, ControlPlaneError and the SDK's GpufleetError
 * extend it, each with its own codes.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code

  constructor (code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CodedError'
    this.code = code
  }
}
