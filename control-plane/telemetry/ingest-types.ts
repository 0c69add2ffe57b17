import type { Logger } from '../../shared/logger.ts'

/** What the ingest handler and the telemetry router share (apart, so neither imports the other). */

export interface ResolvedNode {
  nodeId: number
  /** Null: a node outside any cluster (it rolls up to itself and the fleet only). */
  clusterId: number | null
  /** Stored with the samples for GET filters; defaults to body.node.hostname. */
  hostname?: string | null
}

export type TelemetryLogger = Pick<Logger, 'warn' | 'error'>
