import type { Test } from 'tap'

/** A first start on a fresh store: its generated key is well formed and serves, listed as "bootstrap". Returns the key. */
export async function checkBootstrapKey (t: Test, started: { url: string, bootstrapKey?: string | undefined }): Promise<string | undefined> {
  const key = started.bootstrapKey
  t.match(key, /^gfk_[0-9a-f]{64}$/)
  t.equal((await fetch(`${started.url}/healthz`)).status, 200)
  const list = await fetch(`${started.url}/api/api-keys`, { headers: { authorization: `Bearer ${key}` } })
  t.equal(list.status, 200)
  t.match(await list.text(), /"label":"bootstrap"/)
  return key
}
