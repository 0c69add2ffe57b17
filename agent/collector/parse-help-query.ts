/** `"power.draw.instant" or "gpu.power.draw.instant"`: a name line; descriptions never match. */
const NAME_LINE = /^"[^"]+"(?: or "[^"]+")*\s*$/

/**
 * `nvidia-smi --help-query-gpu` → every valid name (canonical and alias) → its canonical
 * name. The probe intersects this with the fields the agent wants.
 */
export function parseHelpQuery (text: string): Map<string, string> {
  const names = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (!NAME_LINE.test(line.trim())) continue
    const all = [...line.matchAll(/"([^"]+)"/g)].map(m => m[1] as string)
    for (const name of all) names.set(name, all[0] as string)
  }
  return names
}
