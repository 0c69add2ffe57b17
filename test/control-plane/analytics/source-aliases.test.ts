import t from 'tap'
import { createAliasLoader, normalizeSourceAliases } from '../../../control-plane/analytics/source-aliases.ts'
import { HttpError } from '../../../shared/http-error.ts'

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (err) {
    return err instanceof HttpError ? `${err.status} ${err.code}` : 'other'
  }
  return undefined
}

t.test('valid maps become canonical JSON text, from text or object', async t => {
  t.equal(normalizeSourceAliases('{"gpu-node-01": "Lab rack A"}'), '{"gpu-node-01":"Lab rack A"}')
  t.equal(normalizeSourceAliases({ 'gpu-node-01': 'Lab rack A', b: 'B' }), '{"gpu-node-01":"Lab rack A","b":"B"}')
  t.equal(normalizeSourceAliases('{}'), '{}')
})

t.test('invalid JSON, non-objects, non-string labels → 400 INVALID_ALIASES', async t => {
  for (const bad of ['{', 'not json', '[]', '["a"]', 'null', '"x"', '42', '{"a": 1}', '{"a": null}', '{"a": {"b": "c"}}', '{"a": ""}',
    '{"": "x"}', '{"__proto__": "x"}', `{"a": "${'x'.repeat(129)}"}`, [], null, 42, { a: 1 }, { a: true }]) {
    t.equal(code(() => normalizeSourceAliases(bad)), '400 INVALID_ALIASES', JSON.stringify(bad))
  }
  try {
    normalizeSourceAliases('{"ok": "fine", "gpu-node-02": 7}')
  } catch (err) {
    t.match((err as HttpError).message, /gpu-node-02.*string/, 'the message names the bad entry')
  }
})

t.test('the loader reads the stored map and re-parses only on change', async t => {
  let value: string | undefined
  const loader = createAliasLoader({ listGlobalEnv: async () => (value === undefined ? [] : [{ key: 'ANALYTICS_SOURCE_ALIASES', value, updatedAt: 0 }]) })
  t.same([...(await loader())], [], 'unset → empty')
  value = '{"a":"A"}'
  const first = await loader()
  t.same([...first], [['a', 'A']])
  t.equal(await loader(), first, 'same text → same map')
  value = '{"a":"B"}'
  t.same([...(await loader())], [['a', 'B']])
})
