/**
 * What credential a request presents: `Authorization: Bearer <key>` or `x-api-key: <key>`
 * (seed 000 accepts both). Both present and different, or a non-Bearer Authorization, is
 * `malformed`: a bad credential, never silently "no credential" (which demo mode would let in).
 */
export type Credential =
  | { kind: 'none' }
  | { kind: 'key', key: string }
  | { kind: 'malformed' }

const BEARER = /^Bearer +(\S+) *$/i

export function readCredential (header: (name: string) => string | undefined): Credential {
  const authorization = header('authorization')
  const apiKey = header('x-api-key')
  if (authorization === undefined && apiKey === undefined) return { kind: 'none' }
  let fromAuthorization: string | undefined
  if (authorization !== undefined) {
    const m = BEARER.exec(authorization)
    if (m?.[1] === undefined) return { kind: 'malformed' }
    fromAuthorization = m[1]
  }
  const fromHeader = apiKey?.trim()
  if (fromAuthorization !== undefined && fromHeader !== undefined && fromAuthorization !== fromHeader) return { kind: 'malformed' }
  const key = fromAuthorization ?? fromHeader
  return key === undefined || key === '' ? { kind: 'malformed' } : { kind: 'key', key }
}
