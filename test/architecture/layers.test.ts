import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TREES = ['agent', 'control-plane', 'shared', 'bin']

/**
 * The layers, lowest first. A file belongs to the layer with the longest matching path (a
 * folder ends in '/'); it may import its own layer and those named in `uses`, nothing above.
 */
const LAYERS: ReadonlyArray<{ name: string, paths: readonly string[], uses: readonly string[], reason: string }> = [
  { name: 'shared', paths: ['shared/'], uses: [], reason: 'the wire and the helpers both sides use: it imports nothing else of ours' },
  { name: 'sdk', paths: ['shared/sdk/'], uses: ['shared'], reason: 'the client library speaks the wire only, so loading it never loads a server' },
  { name: 'agent', paths: ['agent/'], uses: ['shared'], reason: 'the GPU host daemon knows the control plane only through shared/wire' },
  {
    name: 'cp-base',
    paths: ['control-plane/config.ts', 'control-plane/defaults.ts', 'control-plane/errors.ts', 'control-plane/version.ts', 'control-plane/match-rate.ts', 'control-plane/telemetry-engine.ts'],
    uses: ['shared'],
    reason: "the control plane's options, error codes, version and rate card: the store and everything above read them",
  },
  { name: 'store', paths: ['control-plane/store/'], uses: ['shared', 'cp-base'], reason: 'persistence knows rows and SQL, never routes, loops or domains' },
  {
    name: 'cp-contracts',
    paths: ['control-plane/http/', 'control-plane/loops/', 'control-plane/auth/'],
    uses: ['shared', 'cp-base', 'store'],
    reason: 'how a domain plugs in (router context and mounts, the request pipeline and its auth, Loop and leadership)',
  },
  {
    name: 'domains',
    paths: ['alerts', 'analytics', 'billing', 'console', 'dashboards', 'fleet', 'scheduling', 'telemetry'].map(d => `control-plane/${d}/`),
    uses: ['shared', 'cp-base', 'store', 'cp-contracts'],
    reason: 'one folder per product area: they may use each other (without cycles), never the wiring',
  },
  { name: 'cp-wiring', paths: ['control-plane/'], uses: ['shared', 'cp-base', 'store', 'cp-contracts', 'domains'], reason: 'builds the app and its loops from the domains (create-, start-control-plane, product-parts)' },
  { name: 'bin', paths: ['bin/'], uses: ['shared', 'sdk', 'agent', 'cp-base', 'store', 'cp-contracts', 'domains', 'cp-wiring'], reason: 'the CLI wires the agent and the control plane into processes' },
]

/**
 * Imports that break a layer today and are kept on purpose, each with why; `from → to`.
 * Another change moves these; the test fails once one is gone, so the list cannot go stale.
 */
const KNOWN_EXCEPTIONS: ReadonlyArray<{ from: string, to: string, reason: string }> = [
  { from: 'shared/sdk/agent-client.ts', to: 'agent/api/gpu-status-body.ts', reason: 'its shape is the GPU readings: moves with the GPU field table' },
  { from: 'shared/sdk/agent-client.ts', to: 'agent/api/gpu-memory-body.ts', reason: 'its shape is the GPU readings: moves with the GPU field table' },
]

function sourceFiles (dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap(e => {
    const path = `${dir}/${e.name}`
    if (e.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(e.name) ? [path] : []
  })
}

// Static and dynamic imports and re-exports, types included: a type import ties layers too.
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm

function importsOf (file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  return [...text.matchAll(IMPORT)].map(m => normalize(join(dirname(file), m[1] as string)))
}

function layerOf (file: string): string | undefined {
  let best: { name: string, length: number } | undefined
  for (const layer of LAYERS) {
    for (const p of layer.paths) {
      const hit = p.endsWith('/') ? file.startsWith(p) : file === p
      if (hit && (best === undefined || p.length > best.length)) best = { name: layer.name, length: p.length }
    }
  }
  return best?.name
}

const files = TREES.flatMap(sourceFiles)
const graph = new Map(files.map(f => [f, importsOf(f).filter(to => TREES.some(tree => to.startsWith(`${tree}/`)))]))

t.test('every source file is in a layer, and every layer names only layers below it', async t => {
  t.same(files.filter(f => layerOf(f) === undefined), [])
  const order = LAYERS.map(l => l.name)
  for (const [i, layer] of LAYERS.entries()) {
    for (const used of layer.uses) t.ok(order.indexOf(used) >= 0 && order.indexOf(used) < i, `${layer.name} uses ${used}, a layer below it`)
  }
})

t.test('no import goes from a lower layer to a higher one', async t => {
  const uses = new Map(LAYERS.map(l => [l.name, new Set([l.name, ...l.uses])]))
  const found: string[] = []
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (!(uses.get(layerOf(from) as string)?.has(layerOf(to) as string) ?? false)) found.push(`${from} → ${to}`)
    }
  }
  const known = KNOWN_EXCEPTIONS.map(e => `${e.from} → ${e.to}`)
  t.same(found.filter(v => !known.includes(v)), [], `${found.length} upward imports`)
  t.same(known.filter(k => !found.includes(k)), [], 'every known exception still exists (drop it once it is fixed)')
})

t.test('no import cycles between files (types included)', async t => {
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const visit = (file: string, path: string[]): void => {
    state.set(file, 'open')
    for (const to of graph.get(file) ?? []) {
      if (state.get(to) === 'open') cycles.push([...path.slice(path.indexOf(to)), to].join(' → '))
      else if (state.get(to) === undefined && graph.has(to)) visit(to, [...path, to])
    }
    state.set(file, 'done')
  }
  for (const f of files) if (state.get(f) === undefined) visit(f, [f])
  t.same(cycles, [])
})

t.test('every relative import names a file that exists', async t => {
  const missing = [...graph].flatMap(([from, targets]) => targets.filter(to => !graph.has(to)).map(to => `${from} → ${relative(ROOT, join(ROOT, to))}`))
  t.same(missing, [])
})
