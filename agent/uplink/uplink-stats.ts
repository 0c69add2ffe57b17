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
  /** Samples the control plane refused as invalid (400/413/422): dropped, never retried. Optional as above. */
  rejectedSamples?: number
  lastPushAt: number | null
  lastError: string | null
}
