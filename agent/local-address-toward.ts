import { createSocket } from 'node:dgram'
import { lookup } from 'node:dns/promises'

/**
 * The local address this host would send from to reach `url`'s host: the kernel picks it when
 * a UDP socket is connected (no packet is sent), so a multi-homed GPU host gets the address
 * on the route to the control plane, not merely its first interface.
 */
export async function localAddressToward (url: URL): Promise<string> {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const { address, family } = await lookup(host)
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
  const socket = createSocket(family === 6 ? 'udp6' : 'udp4')
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.connect(port, address, () => resolve())
    })
    return socket.address().address
  } finally {
    socket.close()
  }
}
