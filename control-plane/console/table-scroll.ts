/**
 * Every table of a rendered page or fragment inside `<div class="table-scroll">`, so on a
 * narrow screen a wide table scrolls sideways inside its own box while the page itself never
 * does (console.css). Done once here rather than in each template: a table added later gets
 * it too. Page text is escaped by hono/html, so `<table` and `</table>` only ever occur as
 * tags; console tables are never nested.
 */
export function scrollTables (page: string): string {
  return page.replace(/<table\b/g, '<div class="table-scroll"><table').replace(/<\/table>/g, '</table></div>')
}
