import t from 'tap'
import { dashboardSuite } from './dashboard-suite.ts'
import { insightStoreOpener } from './insight-fixture.ts'
import { compactingStore } from '../../helpers/compacting-store.ts'

t.test('sqlite (file, WAL; scheduling rows through a second connection)', async t => {
  dashboardSuite(t, insightStoreOpener(t))
})

t.test('sqlite, telemetry compacted after every write', async t => {
  const open = insightStoreOpener(t)
  dashboardSuite(t, async () => {
    const insight = await open()
    return { ...insight, store: compactingStore(insight.store) }
  }, { compactedAfterEveryWrite: true })
})
