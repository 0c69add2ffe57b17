import { SlurmImportError } from './slurm-import-error.ts'
import type { SlurmSource } from './slurm-source.ts'

export interface SlurmRestSourceOptions {
  /** slurmrestd's base URL (--slurm-rest-url), e.g. http://slurm-head:6820 */
  url: string
  /** A JWT (`scontrol token`; GPUFLEET_SLURM_TOKEN): sent as X-SLURM-USER-TOKEN, server side only. */
  token: string
  /** X-SLURM-USER-NAME (Slurm 22.05 requires it); default: the token's `sun` claim (scontrol token sets it). */
  user?: string | undefined
  /** The slurmdb plugin version in the path (Slurm 22.05: v0.0.38). */
  apiVersion?: string
  timeoutMs?: number
  now?: () => number
  fetch?: typeof globalThis.fetch
}

/**
 * slurmrestd's GET /slurmdb/{version}/jobs. Slurm parses start_time/end_time in its own zone,
 * so the window is sent relative to its clock ("now-3600" is an hour ago there), which needs no
 * zone and tolerates clock skew of a few seconds (imports overlap by more).
 */
export function createSlurmRestSource (options: SlurmRestSourceOptions): SlurmSource {
  const { token, user, apiVersion = 'v0.0.38', timeoutMs = 60_000, now = Date.now } = options
  const doFetch = options.fetch ?? globalThis.fetch
  let base: URL
  try {
    base = new URL(options.url)
  } catch {
    throw new TypeError('createSlurmRestSource: url must be an http(s) URL')
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError('createSlurmRestSource: url must be an http(s) URL')
  if (typeof token !== 'string' || token === '') throw new TypeError('createSlurmRestSource: token is required (GPUFLEET_SLURM_TOKEN)')
  if (!/^v\d+\.\d+\.\d+$/.test(apiVersion)) throw new TypeError(`createSlurmRestSource: apiVersion must look like v0.0.38, got ${apiVersion}`)
  const userName = user ?? jwtUserName(token)
  base.username = ''
  base.password = ''
  const name = base.href.replace(/\/$/, '')
  return {
    name,
    async jobsJson (since, until) {
      const at = now()
      const ago = (ms: number) => `now-${Math.max(0, Math.ceil((at - ms) / 1000))}`
      const url = new URL(`${base.pathname.replace(/\/$/, '')}/slurmdb/${apiVersion}/jobs`, base)
      url.searchParams.set('start_time', ago(since))
      // An end in the future is "now" to Slurm.
      url.searchParams.set('end_time', until >= at ? 'now' : ago(until))
      const headers: Record<string, string> = { 'X-SLURM-USER-TOKEN': token, accept: 'application/json' }
      if (userName !== null && userName !== '') headers['X-SLURM-USER-NAME'] = userName
      let res: Response
      try {
        res = await doFetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) })
      } catch (err) {
        throw new SlurmImportError('SLURM_UNREACHABLE', `slurmrestd at ${name} did not answer: ${(err as Error).message}`)
      }
      const text = await res.text()
      if (res.status === 401 || res.status === 403) {
        throw new SlurmImportError('SLURM_AUTH_FAILED', `slurmrestd refused the token (${res.status}): check GPUFLEET_SLURM_TOKEN`)
      }
      if (!res.ok) throw new SlurmImportError('SLURM_UNREACHABLE', `slurmrestd answered ${res.status}: ${text.slice(0, 300)}`)
      return text
    },
  }
}

/** The `sun` (Slurm user name) claim of a JWT, unverified: slurmrestd verifies the token itself. */
export function jwtUserName (token: string): string | null {
  const payload = token.split('.')[1]
  if (payload === undefined) return null
  try {
    const sun = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sun?: unknown }).sun
    return typeof sun === 'string' && sun !== '' ? sun : null
  } catch {
    return null
  }
}
