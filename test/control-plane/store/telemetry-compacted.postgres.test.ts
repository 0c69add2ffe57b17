import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { telemetryRepositorySuite } from './telemetry-repository-suite.ts'
import { compactingStore } from '../../helpers/compacting-store.ts'

// The whole telemetry suite again with compaction forced after every write: its own file, so
// each half stays well inside tap's per-file limit on a busy machine (together: 305 s at load 9).
t.test('postgres, compacted after every write', async t => {
  const pg = await postgresTestDatabase(t)
  telemetryRepositorySuite(t, async () => compactingStore(await pg.openStore()), { compactedAfterEveryWrite: true })
})
