import type { ApiKeyRepository } from './api-key-repository.ts'
import type { FleetRepository } from './fleet-repository.ts'
import type { TelemetryRepository } from './telemetry-repository.ts'
import type { TenantRepository } from './tenant-repository.ts'
import type { JobRepository } from './job-repository.ts'
import type { BillingRepository } from './billing-repository.ts'
import type { AlertRepository } from './alert-repository.ts'
import type { DashboardRepository } from './dashboard-repository.ts'
import type { AnalyticsRepository } from './analytics-repository.ts'
import type { SessionRepository } from './session-repository.ts'
import type { OperatorKeyRepository } from './operator-key-repository.ts'
import type { JobLogRepository } from './job-log-repository.ts'
import type { ProcessRepository } from './process-repository.ts'
import type { SlurmRepository } from './slurm-repository.ts'
import type { GpuHistoryRepository } from './gpu-history-repository.ts'

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
  readonly tenants: TenantRepository
  readonly jobs: JobRepository
  readonly billing: BillingRepository
  readonly alerts: AlertRepository
  readonly dashboard: DashboardRepository
  readonly analytics: AnalyticsRepository
  /** Admin console sessions (control-plane/auth). */
  readonly sessions: SessionRepository
  /** Operator-token signing keys and the revocation epoch (control-plane/auth). */
  readonly operatorKeys: OperatorKeyRepository
  /** Executed jobs' logs (control-plane/scheduling). */
  readonly jobLogs: JobLogRepository
  /** Each node's latest GPU processes, judged against allocations (issue 15). */
  readonly processes: ProcessRepository
  /** Slurm accounting imported by the leader (control-plane/slurm). */
  readonly slurm: SlurmRepository
  /** Per-GPU history rollups, built by the leader's history loop (issue 17). */
  readonly gpuHistory: GpuHistoryRepository
  close: () => Promise<void>
}
