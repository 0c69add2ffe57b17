import type { ApiKeyRepository } from './api-key-repository.ts'
import type { FleetRepository } from './fleet-repository.ts'
import type { TelemetryRepository } from './telemetry-repository.ts'

/**
 * The control plane's storage: one async repository per domain. Nothing outside
 * control-plane/store/ writes SQL, and nothing here assumes SQLite: a PostgreSQL
 * implementation of the same interfaces must pass the same store tests.
 */
export interface Store {
  readonly engine: 'sqlite' | 'postgres'
  readonly apiKeys: ApiKeyRepository
  readonly fleet: FleetRepository
  readonly telemetry: TelemetryRepository
  close: () => Promise<void>
}
