import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'

export interface ListeningFake {
  url: string
  close: () => Promise<void>
}

/** Serve a fake's Hono app on 127.0.0.1, port 0 (the OS picks a free one). */
export function listenFake (app: Hono): Promise<ListeningFake> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, info => {
      resolve({ url: `http://127.0.0.1:${(info as AddressInfo).port}`, close: () => closeServer(server as Server) })
    })
    server.once('error', reject)
  })
}

function closeServer (server: Server): Promise<void> {
  return new Promise(resolve => {
    // Clients keep connections alive; drop them so close() resolves now, not at their timeout.
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
