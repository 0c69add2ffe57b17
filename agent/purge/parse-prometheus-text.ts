export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
}

/**
 * Parse Prometheus text exposition (format 0.0.4) into samples. Only what purge needs to
 * read a runtime's gauges: comments and HELP/TYPE lines are skipped, label values are
 * unescaped, a trailing timestamp is ignored. A line that doesn't parse is skipped rather
 * than guessed at (runtimes append their own oddities; one bad line must not hide the rest).
 */
export function parsePrometheusText (text: string): PromSample[] {
  const samples: PromSample[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const sample = parseLine(line)
    if (sample !== null) samples.push(sample)
  }
  return samples
}

// Metric names may contain colons (vLLM's `vllm:num_requests_running`).
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/

function parseLine (line: string): PromSample | null {
  const nameMatch = NAME.exec(line)
  if (nameMatch === null) return null
  const name = nameMatch[0]
  let rest = line.slice(name.length)
  const labels: Record<string, string> = {}
  if (rest.startsWith('{')) {
    const end = parseLabels(rest, labels)
    if (end < 0) return null
    rest = rest.slice(end)
  }
  const fields = rest.trim().split(/\s+/)
  const valueText = fields[0]
  if (valueText === undefined || valueText === '' || fields.length > 2) return null
  const value = parseValue(valueText)
  if (value === null) return null
  return { name, labels, value }
}

/** Fills `labels` from text starting at '{'; returns the index just past '}', or -1. */
function parseLabels (text: string, labels: Record<string, string>): number {
  let i = 1
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++
    if (text[i] === '}') return i + 1
    const eq = text.indexOf('=', i)
    if (eq < 0) return -1
    const key = text.slice(i, eq).trim()
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key) || text[eq + 1] !== '"') return -1
    let value = ''
    let j = eq + 2
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        j++
        value += text[j] === 'n' ? '\n' : (text[j] ?? '')
      } else {
        value += text[j]
      }
    }
    if (j >= text.length) return -1
    labels[key] = value
    i = j + 1
  }
  return -1
}

function parseValue (text: string): number | null {
  if (text === 'NaN') return Number.NaN
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY
  if (text === '-Inf') return Number.NEGATIVE_INFINITY
  const value = Number(text)
  return Number.isNaN(value) ? null : value
}
