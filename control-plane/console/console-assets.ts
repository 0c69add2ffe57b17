import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createHash } from 'node:crypto'

export interface Asset { body: Uint8Array, type: string, etag: string }

const require = createRequire(import.meta.url)
const own = (name: string) => new URL(`./static/${name}`, import.meta.url)

/**
 * The console's static files, read once at start: the hand-written client script and style,
 * and uPlot's browser build and CSS straight from node_modules (no bundler, no copy to drift).
 */
export function loadConsoleAssets (): ReadonlyMap<string, Asset> {
  const files: Array<[string, string | URL, string]> = [
    ['console.js', own('console.js'), 'text/javascript; charset=utf-8'],
    ['console.css', own('console.css'), 'text/css; charset=utf-8'],
    ['uPlot.iife.min.js', require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
  ]
  return new Map(files.map(([name, path, type]) => {
    const body = readFileSync(path)
    return [name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` }]
  }))
}
