import type { Context } from 'hono'
import { clientAddress as socketAddress } from '../../shared/client-address.ts'

/** How the control plane reads who is calling and over what, with or without a proxy in front. */
export interface ProxyTrust {
  /** The auth-failure limiter's key. */
  clientAddress: (c: Context) => string
  /** Whether the browser's connection is TLS (the session cookie's Secure). */
  isTls: (c: Context) => boolean
  /** The origin the browser sees (the console's same-origin checks). */
  origin: (c: Context) => string
}

// The right-most entry is the one our own proxy wrote: entries to its left come from the
// client (or proxies we know nothing about) and can be forged, e.g. by a client sending its
// own X-Forwarded-For through a proxy that appends (nginx's $proxy_add_x_forwarded_for).
const lastListed = (value: string | undefined): string | undefined => {
  const last = value?.split(',').at(-1)?.trim()
  return last === undefined || last === '' ? undefined : last
}

/**
 * `--trust-proxy`: behind a TLS-terminating reverse proxy the socket is the proxy's and the
 * request URL is http:, so the client's address and scheme come from the proxy's
 * X-Forwarded-For (the right-most address, the one the proxy added) and X-Forwarded-Proto. Off by default, and then those
 * headers are ignored: without a proxy in front, a client could choose its own rate-limit
 * bucket or claim TLS it does not have.
 */
export function createProxyTrust (trust: boolean): ProxyTrust {
  const forwardedProto = (c: Context): string | undefined => trust ? lastListed(c.req.header('x-forwarded-proto'))?.toLowerCase() : undefined
  const isTls = (c: Context): boolean => {
    const proto = forwardedProto(c)
    return proto === undefined ? new URL(c.req.url).protocol === 'https:' : proto === 'https'
  }
  return {
    clientAddress: trust ? c => lastListed(c.req.header('x-forwarded-for')) ?? socketAddress(c) : socketAddress,
    isTls,
    origin (c) {
      const url = new URL(c.req.url)
      return forwardedProto(c) === undefined ? url.origin : `${isTls(c) ? 'https' : 'http'}://${url.host}`
    },
  }
}
