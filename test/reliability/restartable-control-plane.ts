import type { Test } from 'tap'
import { join } from 'node:path'
import { spawnControlPlane, type SpawnedControlPlane } from '../helpers/spawn-control-plane.ts'
import { createCluster } from './fleet-client.ts'

/**
 * A control plane process on a SQLite file in the test dir, with a cluster "reliability" and
 * its ingest key, that the test kills and starts again on the same file, address and admin
 * key (restart). Whichever process is current is killed at teardown.
 */
export async function restartableControlPlane (t: Test) {
  const dir = t.testdir()
  const db = join(dir, 'cp.db')
  let cp: SpawnedControlPlane = await spawnControlPlane(db)
  t.teardown(() => cp.kill())
  const listen = cp.url.replace('http://', '')
  const key = await createCluster(cp.url, cp.adminKey, 'reliability')
  return {
    dir,
    db,
    key,
    cp,
    async restart (): Promise<SpawnedControlPlane> {
      cp = await spawnControlPlane(db, { listen, adminKey: cp.adminKey })
      return cp
    },
  }
}
