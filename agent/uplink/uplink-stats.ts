/** The uplink's figures, for /metrics and /healthz. */
export interface UplinkStats {
  registered: boolean
  nodeId: number | null
  /** Bytes and samples (GPU rows) waiting in the on-disk spool. */
  spoolBytes: number
  spoolSamples: number
  /** Samples dropped because the spool was full (oldest first), or could not be written. */
  spoolDropped: number
  /** Unreadable spool lines (a torn write after a crash) skipped at replay. Optional only so fakes written before it compile. */
  spoolCorrupt?: number
  pushFailures: number
  pushedSamples: number
  /**
   * Samples the control plane refused: a validation error (its own 400/422) or rows its 2xx
   * says it skipped (invalid, outside its time window). Dropped, never retried, never counted
   * as pushed. Optional as above.
   */
  rejectedSamples?: number
  lastPushAt: number | null
  lastError: string | null
  /** Why the uplink is degraded right now (spooling, dropping, rejected rows): /healthz lists them. Optional as above. */
  reasons?: string[]
}
