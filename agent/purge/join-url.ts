/**
 * Append an absolute path to a runtime's base URL, keeping any path prefix the base has
 * (a runtime behind a reverse proxy at http://host/ollama): `new URL('/api/ps', base)` would drop it.
 */
export function joinUrl (base: string, path: string): string {
  return base.replace(/\/+$/, '') + path
}
