import { CodedError } from '../shared/coded-error.ts'

/**
 * Errors the control plane raises outside HTTP handling (start-up, config, bootstrap), each
 * with a stable `code` that main, logs and tests branch on. HTTP-facing errors use shared
 * HttpError.
 */
export type ControlPlaneErrorCode =
  | 'CONFIG_INVALID'
  /** The listen address is taken (the OS's code, kept as the stable one). */
  | 'EADDRINUSE'
  /** Listening failed otherwise: no permission for the port, no such address. */
  | 'LISTEN_FAILED'

export class ControlPlaneError extends CodedError<ControlPlaneErrorCode> {
  constructor (code: ControlPlaneErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'ControlPlaneError'
  }
}
