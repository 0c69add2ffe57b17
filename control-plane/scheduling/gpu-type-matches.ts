/**
 * How a job's gpu_type picks GPUs: case-insensitive, whitespace-collapsed, and matched as a
 * whole token inside the model name ("H100" and "NVIDIA H100 80GB" both match
 * "NVIDIA H100 80GB HBM3"; "H10" and "H100" do not match "GH100" or "H1000"), the same idea as
 * billing's rate matching. An absent or blank gpu_type takes GPUs of any model, and "any"
 * (any case) takes any GPUs: it is the one gpu_type whose GPUs may mix models (see
 * create-placement-index.ts).
 */
export function gpuTypeKey (gpuType: string | null | undefined): string {
  return gpuType == null ? '' : gpuType.trim().replace(/\s+/g, ' ').toUpperCase()
}

/** The key of `"gpu_type": "any"`: models may mix. */
export const ANY_GPU_TYPE = 'ANY'

const ALNUM = /[A-Z0-9]/

/** `key` from gpuTypeKey. */
export function gpuTypeMatches (key: string, model: string | null): boolean {
  if (key === '' || key === ANY_GPU_TYPE) return true
  if (model === null) return false
  const name = model.replace(/\s+/g, ' ').toUpperCase()
  for (let at = name.indexOf(key); at >= 0; at = name.indexOf(key, at + 1)) {
    const before = at === 0 ? '' : name[at - 1] ?? ''
    const after = name[at + key.length] ?? ''
    // A key that itself starts or ends with punctuation needs no boundary on that side.
    const openStart = !ALNUM.test(key[0] ?? '') || !ALNUM.test(before)
    const openEnd = !ALNUM.test(key[key.length - 1] ?? '') || !ALNUM.test(after)
    if (openStart && openEnd) return true
  }
  return false
}
