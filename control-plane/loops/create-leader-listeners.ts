/** The lease's subscribers; one throwing listener must not keep the others from hearing. */
export function createLeaderListeners (onError: (err: unknown) => void = () => {}) {
  const listeners = new Set<(leader: boolean) => void>()
  return {
    add (fn: (leader: boolean) => void): () => void {
      listeners.add(fn)
      return () => { listeners.delete(fn) }
    },
    emit (leader: boolean): void {
      for (const fn of [...listeners]) {
        try { fn(leader) } catch (err) { onError(err) }
      }
    },
  }
}
