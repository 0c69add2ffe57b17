import t from 'tap'
import { postgresTestDatabase } from '../../../helpers/postgres-test-database.ts'
import { victoriaMetricsBinary, VM_MISSING } from '../../../setup/victoria-metrics.ts'
import { dashboardSuite } from '../dashboard-suite.ts'
import { schedulingRowsWith } from '../insight-fixture.ts'
import { withTestVm } from './with-test-vm.ts'

// The suite's clock (dashboard-suite.ts NOW).
const SUITE_NOW = Date.UTC(2026, 4, 10, 0, 0, 0)

t.test('postgres relational state + VictoriaMetrics telemetry: the same dashboard answers', { skip: victoriaMetricsBinary() === null ? VM_MISSING : false }, async t => {
  const pg = await postgresTestDatabase(t)
  dashboardSuite(t, async () => {
    const { store, query } = await pg.openStoreWithSyncSql()
    return { store: await withTestVm(t, store, SUITE_NOW), rows: schedulingRowsWith(query) }
  })
})
