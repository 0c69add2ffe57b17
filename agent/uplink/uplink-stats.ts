/** The uplink's figures, for /metrics and /healthz. */
export interface UplinkStats {
  registered: boolean
  nodeId: number | null
  /** Bytes and samples (GPU rows) waiting in the on-disk spool. */
  spoolBytes: number
  spoolSamples: number
  /** Samples dropped because the spool was full (oldest first). */
  spoolDropped: number
  pushFailures: number
  pushedSamples: number
  lastPushAt: number | null
  lastError: string | null
}
