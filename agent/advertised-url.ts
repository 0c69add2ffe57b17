import { isIPv4, isIPv6 } from 'node:net'
import { AgentError } from './errors.ts'
import { localAddressToward as routeAddress } from './local-address-toward.ts'

export interface AdvertiseInput {
  /** `--listen`, HOST:PORT. */
  listen: string
  /** `--advertise-url`, when given. */
  advertiseUrl?: string | undefined
  /** `--control-plane`. */
  controlPlane: string
  /** Whether the operator API serves HTTPS (--tls-cert). */
  tls: boolean
}

/**
 * The agent_url the agent registers: where the control plane (and operators' CLIs it hands
 * the URL to) reach this agent's operator API. It is never 0.0.0.0/:: (an address to bind,
 * not to dial), and never a loopback address when the control plane is on another host
 * (it would dial itself). In order:
 * - `--advertise-url` as given (behind a proxy, NAT or a DNS name), refused if it is one of those;
 * - listening on all addresses (0.0.0.0 or ::): this host's address on the route to the
 *   control plane (a loopback one when the control plane is local), with the listen port;
 * - listening on a loopback address while the control plane is remote: a start-up error that
 *   says what to set (CONFIG_INVALID, exit 2), since no URL could reach this agent;
 * - otherwise the listen address itself.
 */
export async function advertisedUrl (input: AdvertiseInput, localAddressToward: (url: URL) => Promise<string> = routeAddress): Promise<string> {
  const controlPlane = new URL(input.controlPlane)
  const remote = !isLoopback(bare(controlPlane.hostname))
  if (input.advertiseUrl !== undefined) {
    const host = bare(new URL(input.advertiseUrl).hostname)
    if (isUnspecified(host)) throw invalid(`--advertise-url: ${input.advertiseUrl} names ${host}, an address to listen on, not one to connect to; give this host's name or routable address`)
    if (remote && isLoopback(host)) throw invalid(`--advertise-url: ${input.advertiseUrl} is a loopback address, but the control plane at ${controlPlane.origin} is on another host and would connect to itself; give this host's name or routable address`)
    return input.advertiseUrl
  }
  const i = input.listen.lastIndexOf(':')
  const host = bare(input.listen.slice(0, i))
  const port = input.listen.slice(i + 1)
  const scheme = input.tls ? 'https' : 'http'
  if (isUnspecified(host)) {
    let local: string
    try {
      local = await localAddressToward(controlPlane)
    } catch (err) {
      throw invalid(`--advertise-url: the agent listens on all addresses (--listen ${input.listen}) and could not find its own address toward the control plane at ${controlPlane.origin} (${(err as Error).message}); set --advertise-url to the URL the control plane should use`)
    }
    if (isUnspecified(local) || (remote && isLoopback(local))) {
      throw invalid(`--advertise-url: the route to the control plane at ${controlPlane.origin} leaves from ${local}, which it cannot connect back to; set --advertise-url`)
    }
    return `${scheme}://${withBrackets(local)}:${port}`
  }
  if (remote && isLoopback(host)) {
    throw invalid(`--listen ${input.listen} accepts connections from this host only, but the control plane at ${controlPlane.origin} is on another host and could not reach the operator API: listen on a routable address (e.g. --listen 0.0.0.0:${port}) or set --advertise-url to where a local proxy serves it`)
  }
  return `${scheme}://${withBrackets(host)}:${port}`
}

function invalid (message: string): AgentError {
  return new AgentError('CONFIG_INVALID', message)
}

function bare (host: string): string {
  return host.replace(/^\[|\]$/g, '').toLowerCase()
}

function withBrackets (host: string): string {
  return isIPv6(host) ? `[${host}]` : host
}

function isUnspecified (host: string): boolean {
  if (isIPv4(host)) return host === '0.0.0.0'
  return isIPv6(host) && /^[0:]+$/.test(host)
}

function isLoopback (host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  if (isIPv4(host)) return host.startsWith('127.')
  if (!isIPv6(host)) return false
  // ::1 however written, and IPv4-mapped 127/8 (::ffff:127.0.0.1, which URL writes ::ffff:7f00:1).
  const canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1)
  return canonical === '::1' || /^::ffff:7f[0-9a-f]{2}:/.test(canonical)
}
