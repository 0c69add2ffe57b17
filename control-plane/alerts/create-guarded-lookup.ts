import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns'
import type { LookupFunction } from 'node:net'
import { forbiddenAddress } from './forbidden-address.ts'

/** Resolves a name to all its addresses (dns.lookup with all: true, the resolver net.connect uses). */
export type ResolveAll = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void

export const ADDRESS_FORBIDDEN = 'WEBHOOK_ADDRESS_FORBIDDEN'

/**
 * A `lookup` for net/tls.connect that refuses a name when ANY of its addresses is loopback,
 * private, link-local or otherwise reserved (forbidden-address.ts), failing the connection
 * with code WEBHOOK_ADDRESS_FORBIDDEN before a byte is sent. The check sits in the connect
 * itself, not in a lookup done beforehand, so the address judged is the address dialled
 * (no window for DNS rebinding between check and use). Answers both lookup forms net uses
 * (one address, or all of them for happy eyeballs).
 * `allowPrivate` (--alert-webhook-allow-private) only resolves, for a test's injected resolver.
 */
export function createGuardedLookup (resolve: ResolveAll = dnsLookup as unknown as ResolveAll, guard: { allowPrivate?: boolean } = {}): LookupFunction {
  return ((hostname: string, options: { all?: boolean, family?: number | string }, callback: (...args: unknown[]) => void) => {
    resolve(hostname, { ...options, all: true } as LookupAllOptions, (err, addresses) => {
      if (err !== null) return callback(err)
      const bad = guard.allowPrivate === true ? undefined : addresses.find(a => forbiddenAddress(a.address) !== null)
      if (bad !== undefined) {
        const refusal = Object.assign(new Error(`${hostname} resolves to ${bad.address}, a ${forbiddenAddress(bad.address) ?? ''} address: refused (--alert-webhook-allow-private allows it)`), { code: ADDRESS_FORBIDDEN })
        return callback(refusal)
      }
      if (options.all === true) return callback(null, addresses)
      const first = addresses[0]
      if (first === undefined) return callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }))
      callback(null, first.address, first.family)
    })
  }) as LookupFunction
}
