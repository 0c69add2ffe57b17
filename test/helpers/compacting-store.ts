import type { Store } from '../../control-plane/store/store.ts'

const END_OF_TIME = 8.64e15

/**
 * The store with compaction forced after every telemetry write (compactAfter 0): every raw
 * row but the latest per GPU lives in compressed blocks, so each later write is late data
 * that thaws them. The telemetry suites run on it too: same answers.
 */
export function compactingStore (store: Store): Store {
  const telemetry = store.telemetry
  const compactAll = async () => {
    for (;;) if (!(await telemetry.compact({ before: END_OF_TIME, limit: 1_000_000 })).more) return
  }
  return Object.assign(Object.create(Object.getPrototypeOf(store) as object) as Store, store, {
    telemetry: {
      ...telemetry,
      async insertSamples (batches) {
        const results = await telemetry.insertSamples(batches)
        await compactAll()
        return results
      },
    } satisfies Store['telemetry'],
  })
}
