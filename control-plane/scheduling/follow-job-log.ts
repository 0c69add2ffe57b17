import type { LogRead } from '../store/job-log-repository.ts'

export interface FollowJobLogOptions {
  /** The followed run's bytes from `from` on (null: no log yet). */
  read: (from: number) => Promise<LogRead | null>
  /** When the job ended (or moved on to another run); null while it runs. */
  endedAt: () => Promise<number | null>
  write: (bytes: Buffer) => Promise<void>
  /** Until new bytes may be there: an upload's notification, `ms`, or the client gone. */
  wait: (ms: number) => Promise<void>
  stopped: () => boolean
  now: () => number
  /** The first byte to send. */
  from: number
  /** Re-read at least this often (uploads taken by another replica notify no one here). */
  pollMs: number
  /** After the job ends, keep reading until no bytes came for this long (the agent uploads the tail after the exit). */
  settleMs: number
}

/** `follow=1`: sends new log bytes as they are stored until the job has ended and gone quiet, or the client leaves. */
export async function followJobLog (o: FollowJobLogOptions): Promise<void> {
  let position = o.from
  let lastBytesAt = -Infinity
  for (;;) {
    if (o.stopped()) return
    const r = await o.read(position)
    if (r !== null) {
      if (r.bytes.length > 0) {
        await o.write(r.bytes)
        lastBytesAt = o.now()
      }
      // A follower slower than retention skips the dropped part.
      position = Math.max(position, r.from + r.bytes.length)
    }
    if (o.stopped()) return
    const ended = await o.endedAt()
    if (ended === null) {
      await o.wait(o.pollMs)
      continue
    }
    const quietMs = o.now() - Math.max(ended, lastBytesAt)
    if (quietMs >= o.settleMs) return
    await o.wait(Math.min(o.pollMs, o.settleMs - quietMs))
  }
}
