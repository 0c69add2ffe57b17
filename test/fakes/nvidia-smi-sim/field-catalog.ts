import { readFileSync } from 'node:fs'

/**
 * What the simulated driver knows about its query fields, taken from the real 590.48.01
 * captures: the valid names and aliases come from `--help-query-*`, the unit and a sample
 * value of every --query-gpu field from the H200 idle row. Fields the simulator does not
 * model print that sample, so any field the real CLI accepts prints something real.
 */
export interface FieldCatalog {
  /** alias or canonical name → canonical name */
  names: Map<string, string>
  /** canonical name → unit shown in the header (`MiB`, `W`, ...) */
  units: Map<string, string>
  /** canonical name → the captured value, units included */
  samples: Map<string, string>
}

const FIXTURES = new URL('../../fixtures/nvidia-smi/', import.meta.url)

/** `"power.draw.average" or "gpu.power.draw.average"` → both names; description lines never match. */
const NAME_LINE = /^"[^"]+"(?: or "[^"]+")*\s*$/

export function parseHelpQuery (text: string): Map<string, string> {
  const names = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (!NAME_LINE.test(line)) continue
    const all = [...line.matchAll(/"([^"]+)"/g)].map(m => m[1] as string)
    const canonical = all[0] as string
    for (const name of all) names.set(name, canonical)
  }
  return names
}

/** A real CSV header + one row → per-field unit and sample value. */
export function parseCaptureRow (header: string, row: string): { units: Map<string, string>, samples: Map<string, string> } {
  const heads = header.split(', ')
  const values = row.split(', ')
  const units = new Map<string, string>()
  const samples = new Map<string, string>()
  heads.forEach((head, i) => {
    const m = /^(\S+) \[(.+)\]$/.exec(head)
    const name = m ? m[1] as string : head
    if (m) units.set(name, m[2] as string)
    samples.set(name, values[i] ?? '[N/A]')
  })
  return { units, samples }
}

/**
 * The help text minus the entries of fields this "driver" lacks: a driver that does not know
 * a field does not list it either, and the agent's probe reads this list.
 */
export function dropHelpEntries (text: string, unknown: readonly string[]): string {
  if (unknown.length === 0) return text
  const out: string[] = []
  let skipping = false
  for (const line of text.split('\n')) {
    if (NAME_LINE.test(line)) {
      const names = [...line.matchAll(/"([^"]+)"/g)].map(m => m[1] as string)
      skipping = names.some(n => unknown.includes(n))
    }
    if (!skipping) out.push(line)
    else if (line === '') skipping = false
  }
  return out.join('\n')
}

export function readFixture (name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8')
}

export function loadGpuCatalog (): FieldCatalog {
  const names = parseHelpQuery(readFixture('help-query-gpu.txt'))
  const [header = '', idle = ''] = readFixture('query-gpu-h200.csv').split('\n')
  return { names, ...parseCaptureRow(header, idle) }
}

export function loadComputeAppsCatalog (): FieldCatalog {
  const names = parseHelpQuery(readFixture('help-query-compute-apps.txt'))
  const [header = ''] = readFixture('query-compute-apps-h200.csv').split('\n')
  const { units } = parseCaptureRow(header, '')
  return { names, units, samples: new Map() }
}
