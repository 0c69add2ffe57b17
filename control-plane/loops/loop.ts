import type { Registry } from 'prom-client'
import type { ControlPlaneConfig } from '../config.ts'
import type { Store } from '../store/store.ts'
import type { CpLogger } from '../http/router-mount.ts'

/** A background loop (scheduler, alerts, rollups, retention, liveness): a start/stop pair. */
export interface Loop {
  start: () => void | Promise<void>
  stop: () => void | Promise<void>
}

/** What a loop factory gets once the store is open. */
export interface LoopContext {
  /** Absent where a test builds the context by hand. */
  config?: ControlPlaneConfig
  store: Store
  log: CpLogger
  now: () => number
  registry: Registry
}
