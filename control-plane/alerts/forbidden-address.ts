import { isIPv4, isIPv6 } from 'node:net'

/**
 * Why an alert webhook may not be sent to `address` (an IPv4 or IPv6 literal, brackets
 * allowed), or null when it may: loopback, private (RFC 1918, CGNAT, ULA), link-local (where
 * the cloud metadata services live: 169.254.169.254, fd00:ec2::254), unspecified, multicast
 * and other reserved ranges. Webhook URLs are typed in by admins, so without this a key with
 * the admin scope could make the control plane POST to its own host, its VPC or the instance's
 * credentials endpoint (server-side request forgery). IPv4 inside IPv6 (::ffff:a.b.c.d,
 * NAT64 64:ff9b::/96, the deprecated ::a.b.c.d) is judged as the IPv4 it carries.
 * Not an IP literal: null (hostnames are judged after resolution).
 */
export function forbiddenAddress (address: string): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
  if (isIPv4(bare)) return judge(V4, bare.split('.').map(Number))
  if (!isIPv6(bare)) return null
  const bytes = ipv6Bytes(bare)
  const embedded = EMBEDS_V4.some(prefix => startsWith(bytes, prefix.bytes, prefix.bits)) && !isV6Only(bytes)
  return embedded ? judge(V4, bytes.slice(12)) : judge(V6, bytes)
}

interface Range { bytes: number[], bits: number, why: string }

const range = (bytes: number[], bits: number, why: string): Range => ({ bytes, bits, why })

const V4: Range[] = [
  range([0], 8, 'unspecified ("this network", 0.0.0.0/8)'),
  range([10], 8, 'private (RFC 1918)'),
  range([100, 64], 10, 'private (carrier-grade NAT, 100.64.0.0/10)'),
  range([127], 8, 'loopback'),
  range([169, 254], 16, 'link-local (cloud metadata services live here)'),
  range([172, 16], 12, 'private (RFC 1918)'),
  range([192, 0, 0], 24, 'reserved (IETF protocol assignments)'),
  range([192, 168], 16, 'private (RFC 1918)'),
  range([198, 18], 15, 'reserved (benchmarking)'),
  range([224], 4, 'multicast'),
  range([240], 4, 'reserved (240.0.0.0/4, broadcast)'),
]

const V6: Range[] = [
  range([], 128, 'unspecified (::)'),
  range([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback (::1)'),
  range([0xfc], 7, 'private (unique local address, fc00::/7; fd00:ec2::254 is a metadata service)'),
  range([0xfe, 0x80], 10, 'link-local (fe80::/10)'),
  range([0xfe, 0xc0], 10, 'private (site-local, fec0::/10)'),
  range([0xff], 8, 'multicast'),
]

/** Prefixes whose last 32 bits are an IPv4 address. */
const EMBEDS_V4: Array<{ bytes: number[], bits: number }> = [
  { bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], bits: 96 },
  { bytes: [0, 0x64, 0xff, 0x9b], bits: 96 },
  { bytes: [], bits: 96 },
]

/** ::, ::1 sit in the deprecated ::/96 too, but are IPv6's own. */
function isV6Only (bytes: number[]): boolean {
  return bytes.slice(0, 15).every(b => b === 0) && (bytes[15] === 0 || bytes[15] === 1)
}

function judge (ranges: Range[], bytes: number[]): string | null {
  return ranges.find(r => startsWith(bytes, r.bytes, r.bits))?.why ?? null
}

/** Whether the first `bits` bits of `bytes` equal those of `prefix` (missing prefix bytes are 0). */
function startsWith (bytes: number[], prefix: number[], bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8)
    const mask = (0xff << (8 - take)) & 0xff
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false
  }
  return true
}

/** 16 bytes of a valid IPv6 literal (isIPv6 checked it): `::` expanded, a dotted IPv4 tail read. */
function ipv6Bytes (text: string): number[] {
  const zone = text.indexOf('%')
  let s = zone === -1 ? text : text.slice(0, zone)
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    s = `${s.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', rest] = s.split('::')
  const groups = (part: string): number[] => part === '' ? [] : part.split(':').map(g => parseInt(g, 16))
  const left = groups(head)
  const right = rest === undefined ? [] : groups(rest)
  const words = [...left, ...Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0), ...right]
  return words.flatMap(w => [w >> 8, w & 0xff])
}
