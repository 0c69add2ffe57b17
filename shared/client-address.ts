import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'

/**
 * The peer's socket address, the key of both servers' auth-failure limiters. Forwarding headers are
 * ignored on purpose: trusting X-Forwarded-For without a known proxy in front would let a
 * client choose its own rate-limit bucket. Outside a Node server (app.request() in tests,
 * unless the test passes `{ incoming: { socket } }` as env) it is 'unknown'.
 */
export function clientAddress (c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'unknown'
  }
}
