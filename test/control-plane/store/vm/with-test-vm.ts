import type { Test } from 'tap'
import type { Store } from '../../../../control-plane/store/store.ts'
import type { TelemetryRepository } from '../../../../control-plane/store/telemetry-repository.ts'
import { createVmClient } from '../../../../control-plane/store/vm/create-vm-client.ts'
import { createVmTelemetryRepository } from '../../../../control-plane/store/vm/vm-telemetry-repository.ts'
import { withVmTelemetry } from '../../../../control-plane/store/vm/with-vm-telemetry.ts'
import { startVictoriaMetrics } from '../../../setup/victoria-metrics.ts'

/**
 * `store` with its telemetry in a fresh VictoriaMetrics (stopped when the test ends), for the
 * store suites: each write is made searchable before it resolves, since the suites read right
 * after they write. `now` is the suite's clock (latest looks back 7 days from it).
 */
export async function withTestVm (t: Test, store: Store, now: number): Promise<Store> {
  const vm = await startVictoriaMetrics()
  t.teardown(() => vm.close())
  const client = createVmClient({ insertUrl: vm.url, selectUrl: vm.url })
  const repo = createVmTelemetryRepository({ client, now: () => now })
  const telemetry: TelemetryRepository = {
    ...repo,
    async insertSamples (batches) {
      const result = await repo.insertSamples(batches)
      await vm.flush()
      return result
    },
  }
  return withVmTelemetry(store, telemetry, client, () => now)
}
