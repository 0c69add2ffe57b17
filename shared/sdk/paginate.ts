/** One page of a paged list, as the page iterator sees it. */
export interface Page<T> {
  items: T[]
  /** More after this page (seed 001's `has_more`; a job page's `next_offset !== null`). */
  hasMore: boolean
}

/**
 * Walks offset/limit paging (`for await (const job of paginate(...))`): asks for the next
 * page only when the caller has consumed this one, and stops at `hasMore: false` or an
 * empty page (so a server that says "more" forever cannot loop us on nothing).
 */
export async function * paginate<T> (fetchPage: (offset: number, limit: number) => Promise<Page<T>>, options: { limit: number, offset?: number | undefined }): AsyncGenerator<T, void, undefined> {
  let offset = options.offset ?? 0
  for (;;) {
    const page = await fetchPage(offset, options.limit)
    yield * page.items
    if (!page.hasMore || page.items.length === 0) return
    offset += page.items.length
  }
}
