import { z } from '@hono/zod-openapi'
import { httpError } from '../../shared/error-codes.ts'
import type { AnalyticsRepository } from '../store/analytics-repository.ts'

/** The global-env key seed 001 keeps the alias map under. */
export const SOURCE_ALIASES_KEY = 'ANALYTICS_SOURCE_ALIASES'

/**
 * A "source" is where GPU work ran: the hostname of the node (a GPU job's node, the node of
 * a GPU it held; an inference record's or endpoint's `source`, which serving layers set to
 * their node's hostname). The map gives sources a human label ("gpu-node-01" → "Lab rack A").
 */
export const sourceAliasesSchema = z.record(
  z.string().min(1, 'a source must not be empty').max(253, 'a source is at most 253 characters'),
  z.string({ error: 'a label must be a string' }).min(1, 'a label must not be empty').max(128, 'a label is at most 128 characters'),
).refine(m => Object.keys(m).length <= 10_000, 'at most 10000 aliases')

/**
 * The alias map from a PUT value: a JSON object text (env-var style) or the object itself.
 * Returns canonical JSON text; anything else → 400 INVALID_ALIASES naming each problem.
 */
export function normalizeSourceAliases (value: unknown): string {
  let parsed = value
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value)
    } catch {
      throw httpError('INVALID_ALIASES', `${SOURCE_ALIASES_KEY} must be JSON text of an object (source → label); this is not valid JSON`)
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw httpError('INVALID_ALIASES', `${SOURCE_ALIASES_KEY} must be a JSON object mapping source → label`)
  }
  const result = sourceAliasesSchema.safeParse(parsed)
  if (!result.success) {
    const issues = result.error.issues.slice(0, 20).map(i => ({ path: i.path.map(String).join('.'), message: i.message }))
    const first = issues[0]!
    throw httpError('INVALID_ALIASES', `${SOURCE_ALIASES_KEY}: ${first.path === '' ? '' : `"${first.path}": `}${first.message}`, { issues })
  }
  // The schema drops keys it will not copy (`__proto__`): refuse them rather than lose them.
  const dropped = Object.keys(parsed).filter(k => !Object.hasOwn(result.data, k))
  if (dropped.length > 0) {
    throw httpError('INVALID_ALIASES', `${SOURCE_ALIASES_KEY}: "${dropped[0]!.slice(0, 64)}" cannot be a source`, { issues: dropped.slice(0, 20).map(k => ({ path: k, message: 'reserved name' })) })
  }
  return JSON.stringify(result.data)
}

/** The stored map (an unset key is the empty map). Re-parsed only when the stored text changes. */
export function createAliasLoader (repo: Pick<AnalyticsRepository, 'listGlobalEnv'>): () => Promise<ReadonlyMap<string, string>> {
  let lastText = '{}'
  let last: ReadonlyMap<string, string> = new Map()
  return async () => {
    const text = (await repo.listGlobalEnv()).find(e => e.key === SOURCE_ALIASES_KEY)?.value ?? '{}'
    if (text !== lastText) {
      // Stored values were validated on the way in.
      last = new Map(Object.entries(JSON.parse(text) as Record<string, string>))
      lastText = text
    }
    return last
  }
}
