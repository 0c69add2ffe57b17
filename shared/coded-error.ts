/**
 * An error with a stable `code` that callers branch on (undici's style). The agent's, the
 * control plane's and the SDK's error classes extend it, each naming its own codes.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code

  constructor (code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CodedError'
    this.code = code
  }
}
