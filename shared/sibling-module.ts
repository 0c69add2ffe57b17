/**
 * The URL of module `name` beside the module at `importMetaUrl`, with that module's own
 * extension: the packed CLI runs the JavaScript tsc emitted beside each .ts (scripts/pack.ts),
 * a checkout runs the .ts. For worker threads' entry files.
 */
export function siblingModule (importMetaUrl: string, name: string): URL {
  return new URL(`./${name}${importMetaUrl.endsWith('.js') ? '.js' : '.ts'}`, importMetaUrl)
}
