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

const firstListed = (value: string | undefined): string | undefined => {
  const first = value?.split(',')[0]?.trim()
  return first === undefined || first === '' ? undefined : first
}

/**
 * `--trust-proxy`: behind a TLS-terminating reverse proxy the socket is the proxy's and the
 * request URL is http:, so the client's address and scheme come from the proxy's
 * X-Forwarded-For (first address) and X-Forwarded-Proto. Off by default, and then those
 * headers are ignored: without a proxy that overwrites them, a client could choose its own
 * rate-limit bucket or claim TLS it does not have.
 */
export function createProxyTrust (trust: boolean): ProxyTrust {
  const forwardedProto = (c: Context): string | undefined => trust ? firstListed(c.req.header('x-forwarded-proto'))?.toLowerCase() : undefined
  const isTls = (c: Context): boolean => {
    const proto = forwardedProto(c)
    return proto === undefined ? new URL(c.req.url).protocol === 'https:' : proto === 'https'
  }
  return {
    clientAddress: trust ? c => firstListed(c.req.header('x-forwarded-for')) ?? socketAddress(c) : socketAddress,
    isTls,
    origin (c) {
      const url = new URL(c.req.url)
      return forwardedProto(c) === undefined ? url.origin : `${isTls(c) ? 'https' : 'http'}://${url.host}`
    },
  }
}
