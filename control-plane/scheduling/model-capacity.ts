import { ANY_GPU_TYPE, gpuTypeKey, gpuTypeMatches } from './gpu-type-matches.ts'

/** What GPUs counted per model can ever give one job of a gpu_type. */
export interface ModelCapacity {
  /** The most it can get: the matching GPUs of one model, or of every model for gpu_type "any". */
  usable: number
  /** The matching GPUs of every model together. */
  mixed: number
}

/** `models` may list a model more than once (one row per node and model): rows are summed per model. */
export function modelCapacity (gpuType: string | null, models: Iterable<{ model: string | null, count: number }>): ModelCapacity {
  const key = gpuTypeKey(gpuType)
  const perModel = new Map<string | null, number>()
  let mixed = 0
  for (const m of models) {
    if (!gpuTypeMatches(key, m.model)) continue
    perModel.set(m.model, (perModel.get(m.model) ?? 0) + m.count)
    mixed += m.count
  }
  if (key === ANY_GPU_TYPE) return { usable: mixed, mixed }
  let usable = 0
  for (const n of perModel.values()) usable = Math.max(usable, n)
  return { usable, mixed }
}
