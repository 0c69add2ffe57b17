import { Hono } from 'hono'
import { listenFake } from '../fakes/runtimes/listen-fake.ts'

/** A loopback URL nothing listens on: a port the OS just handed out and we closed again. */
export async function closedUrl (): Promise<string> {
  const server = await listenFake(new Hono())
  await server.close()
  return server.url
}
