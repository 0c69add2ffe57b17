/** One rate-card entry: dollars are integer cents per GPU-hour. */
export interface Rate {
  gpuType: string
  centsPerGpuHour: number
}

/**
 * The rate for a GPU model name: the longest rate key found in the name as a whole token,
 * case-insensitive ("NVIDIA H100 80GB HBM3" → H100, "NVIDIA RTX A6000" → A6000). Null when
 * nothing matches: such usage is metered but unpriced, and leakage reports it.
 */
export function matchRate (model: string | null | undefined, rates: readonly Rate[]): Rate | null {
  if (model === null || model === undefined || model === '') return null
  const name = model.toUpperCase()
  let best: Rate | null = null
  for (const rate of rates) {
    const key = rate.gpuType.toUpperCase()
    const at = name.indexOf(key)
    if (at < 0) continue
    const before = at === 0 ? '' : name[at - 1] ?? ''
    const after = name[at + key.length] ?? ''
    if (/[A-Z0-9]/.test(before) || /[0-9]/.test(after)) continue
    if (best === null || key.length > best.gpuType.length) best = rate
  }
  return best
}
