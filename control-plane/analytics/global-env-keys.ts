import { SOURCE_ALIASES_KEY, normalizeSourceAliases } from './source-aliases.ts'

export interface GlobalEnvKey {
  description: string
  /** Listed when never set. */
  defaultValue: string
  /** Validates a PUT value and returns the text to store; throws HttpError 400. */
  normalize: (value: unknown) => string
}

/**
 * The keys GET /v1/global-env lists and PUT accepts. A closed set: every stored value has a
 * validator, and a typo in a key is a 400 instead of a setting nothing reads.
 */
export const GLOBAL_ENV_KEYS: Readonly<Record<string, GlobalEnvKey>> = Object.freeze({
  [SOURCE_ALIASES_KEY]: {
    description: 'JSON object: source (node hostname) → label, shown beside the source in history and summary rows',
    defaultValue: '{}',
    normalize: normalizeSourceAliases,
  },
})
