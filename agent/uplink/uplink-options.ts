import type { XidWatch } from '../collector/create-xid-watch.ts'
import type { GpuSource } from '../gpu-source.ts'
import type { BackoffOptions } from './create-backoff.ts'
import type { ReadHostFacts } from './read-host-facts.ts'
import type { Timers } from '../../shared/timers.ts'
import type { UplinkLog } from './uplink-log.ts'

const MIB = 1024 * 1024

export interface UplinkOptions {
  /** `--control-plane` (config.controlPlane), e.g. http://10.0.0.5:8080. */
  controlPlaneUrl: string
  /** PEM CA bundle trusted for an https:// control plane (--control-plane-ca). */
  controlPlaneCa?: Buffer | undefined
  apiKey?: string
  cluster: string
  region?: string
  /** Overrides the hostname from host facts. */
  hostname?: string
  stateDir: string
  spoolMaxBytes: number
  /** Where the control plane can reach this agent's API (registered as agent_url). */
  agentUrl?: string
  source: GpuSource
  /** Xid errors from the kernel log, reported per GPU with the GPU registration. */
  xids?: XidWatch
  log: UplinkLog
  agentVersion: string
  hostFacts?: ReadHostFacts
  now?: () => number
  timers?: Timers
  /** Bound on one push or registration request. */
  pushTimeoutMs?: number
  /** Bound on stop()'s last push and on waiting for requests in flight. */
  flushTimeoutMs?: number
  heartbeatMs?: number
  /** Rows per request, live or replayed (and per spool segment). */
  batchMaxRows?: number
  /** Bytes per spool segment, i.e. per replay request. */
  batchMaxBytes?: number
  /** The collector's tick (config.intervalMs); replay paces itself by it. */
  intervalMs?: number
  /**
   * Pause between replay batches, so a fleet coming back doesn't flatten the control plane.
   * Default intervalMs / 10: at most ~10 batches (10k rows) per tick next to the live push.
   */
  replayPauseMs?: number
  backoff?: BackoffOptions
  /** --repin-operator-key: the kid of the one operator-token key that may replace the pinned one. */
  repinOperatorKey?: string | undefined
  /** Each push acknowledgement's revocation_epoch (the operator API drops cached verdicts when it changes). */
  onRevocationEpoch?: (epoch: number) => void
}

export type ResolvedUplinkOptions = UplinkOptions & Required<Pick<UplinkOptions, 'pushTimeoutMs' | 'flushTimeoutMs' | 'heartbeatMs' | 'batchMaxRows' | 'batchMaxBytes' | 'replayPauseMs'>>

/** Defaults filled in and every option checked once, with a message naming it. */
export function resolveUplinkOptions (options: UplinkOptions): ResolvedUplinkOptions {
  const o: ResolvedUplinkOptions = {
    pushTimeoutMs: 5000,
    flushTimeoutMs: 2000,
    heartbeatMs: 30_000,
    batchMaxRows: 1000,
    batchMaxBytes: MIB,
    ...stripUndefined(options),
    replayPauseMs: options.replayPauseMs ?? Math.round((options.intervalMs ?? 1000) / 10),
  }
  const need = (ok: boolean, name: string, what: string): void => { if (!ok) throw new TypeError(`createUplink: ${name} ${what}`) }
  need(typeof o.controlPlaneUrl === 'string' && /^https?:\/\//.test(o.controlPlaneUrl), 'controlPlaneUrl', 'must be an http(s) URL')
  need(typeof o.cluster === 'string' && o.cluster !== '', 'cluster', 'is required')
  need(typeof o.stateDir === 'string' && o.stateDir !== '', 'stateDir', 'is required')
  need(Number.isInteger(o.spoolMaxBytes) && o.spoolMaxBytes >= 64 * 1024, 'spoolMaxBytes', 'must be an integer >= 65536')
  need(typeof o.source?.onSnapshot === 'function', 'source', 'must be a GpuSource')
  need(typeof o.log?.warn === 'function', 'log', 'must be a logger')
  need(typeof o.agentVersion === 'string', 'agentVersion', 'is required')
  for (const k of ['pushTimeoutMs', 'flushTimeoutMs', 'heartbeatMs', 'batchMaxRows', 'batchMaxBytes'] as const) need(Number.isFinite(o[k]) && o[k] > 0, k, 'must be a positive number')
  need(Number.isFinite(o.replayPauseMs) && o.replayPauseMs >= 0, 'replayPauseMs', 'must be >= 0')
  return o
}

function stripUndefined<T extends object> (obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T
}
