import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'

/**
 * The peer's socket address. Forwarding headers are ignored on purpose: the agent is
 * reached directly (no proxy of ours in front), so X-Forwarded-For would only let a client
 * pick its own rate-limit bucket. Outside a Node server (app.request in tests) it is 'unknown'.
 */
export function clientAddress (c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'unknown'
  }
}
