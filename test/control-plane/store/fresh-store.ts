import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'

/** How an engine's test file hands a store suite its stores: each call opens a new, empty one. */
export type StoreFactory = () => Promise<Store>

/** A subtest's own store from the engine's factory, closed when that subtest ends. */
export function freshStore (openStore: StoreFactory): (t: Test) => Promise<Store> {
  return async t => {
    const store = await openStore()
    t.teardown(() => store.close())
    return store
  }
}
