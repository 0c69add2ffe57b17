import t from 'tap'
import { dashboardSuite } from './dashboard-suite.ts'
import { insightStoreOpener } from './insight-fixture.ts'

t.test('sqlite (file, WAL; scheduling rows through a second connection)', async t => {
  dashboardSuite(t, insightStoreOpener(t))
})
