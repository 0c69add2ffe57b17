import t from 'tap'
import { join } from 'node:path'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { fleetStoreSuite, fleetSurvivesRestart } from './fleet-store-suite.ts'

t.test('sqlite (in memory)', async t => {
  fleetStoreSuite(t, () => openSqliteStore(':memory:'))
})

t.test('sqlite file: node events and status survive a restart', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  await fleetSurvivesRestart(t, () => openSqliteStore(path))
})
