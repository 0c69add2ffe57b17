/**
 * Why a server could not listen, in one line that names the address (never a stack): the
 * callers add which flag picks another. null when `err` is not a listen failure.
 */
export function listenFailure (err: unknown, address: string): { code: 'EADDRINUSE' | 'LISTEN_FAILED', message: string } | null {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'EADDRINUSE') return { code, message: `${address} is already in use (another gpufleet, or another server, listens there)` }
  if (code === 'EACCES') return { code: 'LISTEN_FAILED', message: `not allowed to listen on ${address} (ports below 1024 need privileges)` }
  if (code === 'EADDRNOTAVAIL') return { code: 'LISTEN_FAILED', message: `cannot listen on ${address}: no such address on this host` }
  return null
}
