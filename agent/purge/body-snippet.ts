/** A runtime's response body cut to one short line, for error messages that end up in `errors`. */
export function bodySnippet (text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat === '') return '(empty body)'
  return flat.length > max ? `${flat.slice(0, max)}…` : flat
}
