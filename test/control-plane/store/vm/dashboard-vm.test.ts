import t from 'tap'
import { victoriaMetricsBinary, VM_MISSING } from '../../../setup/victoria-metrics.ts'
import { dashboardSuite } from '../dashboard-suite.ts'
import { insightStoreOpener } from '../insight-fixture.ts'
import { withTestVm } from './with-test-vm.ts'

// The suite's clock (dashboard-suite.ts NOW).
const SUITE_NOW = Date.UTC(2026, 4, 10, 0, 0, 0)

t.test('sqlite relational state + VictoriaMetrics telemetry: the same dashboard answers', { skip: victoriaMetricsBinary() === null ? VM_MISSING : false }, async t => {
  const opener = insightStoreOpener(t)
  dashboardSuite(t, async () => {
    const base = await opener()
    return { ...base, store: await withTestVm(t, base.store, SUITE_NOW) }
  })
})
