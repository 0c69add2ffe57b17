import type { PageQuery } from '../store/analytics-repository.ts'
import { parseInstant } from '../../shared/parse-instant.ts'

export const DEFAULT_PAGE_LIMIT = 100

/** Validated query strings (historyQuerySchema) → the store's page query. */
export function pageQuery (q: { since?: string | undefined, until?: string | undefined, order?: 'asc' | 'desc' | undefined, limit?: string | undefined, offset?: string | undefined }): PageQuery {
  return {
    since: q.since === undefined ? null : parseInstant(q.since),
    until: q.until === undefined ? null : parseInstant(q.until),
    order: q.order ?? 'desc',
    limit: q.limit === undefined ? DEFAULT_PAGE_LIMIT : Number(q.limit),
    offset: q.offset === undefined ? 0 : Number(q.offset),
  }
}
