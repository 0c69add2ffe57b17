import { CodedError } from '../shared/coded-error.ts'

/**
 * Errors the agent raises outside HTTP handling (start-up, collector, uplink), each with a
 * stable `code` that main, logs and tests branch on. HTTP-facing errors use shared HttpError.
 */
export type AgentErrorCode =
  | 'CONFIG_INVALID'
  | 'NVIDIA_SMI_NOT_FOUND'
  | 'NVIDIA_SMI_FAILED'
  | 'NVIDIA_SMI_NO_FIELDS'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_REJECTED'
  | 'SPOOL_CORRUPT'
  /** The listen address is taken (the OS's code, kept as the stable one). */
  | 'EADDRINUSE'
  /** Listening failed otherwise: no permission for the port, no such address. */
  | 'LISTEN_FAILED'

export class AgentError extends CodedError<AgentErrorCode> {
  constructor (code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'AgentError'
  }
}
