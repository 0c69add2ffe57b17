import { createServer, type Server } from 'node:net'

/**
 * A listening socket on host:port, held until a server takes it over (`server.listen(held)`),
 * so a taken port fails before anything is created. Rejects with the listen error (EADDRINUSE …).
 */
export function reservePort (host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const held = createServer()
    held.once('error', reject)
    held.listen(port, host, () => {
      held.off('error', reject)
      resolve(held)
    })
  })
}
