// Detail JSON is written as the plan gives it; this caps a runaway plan, not a normal one.
const MAX_DETAIL_CHARS = 256 * 1024

/**
 * A scheduling cycle's detail as both engines store it: the plan's own, plus how many changes
 * were skipped because the job changed meanwhile, or a stub when it is too long to keep.
 * `json` is what goes in the column, `value` what the cycle record returns.
 */
export function cycleDetail (planDetail: Record<string, unknown>, skipped: number): { value: Record<string, unknown>, json: string } {
  const value = skipped === 0 ? planDetail : { ...planDetail, skipped_changed_meanwhile: skipped }
  const json = JSON.stringify(value)
  if (json.length <= MAX_DETAIL_CHARS) return { value, json }
  const stub = { truncated: true, chars: json.length }
  return { value: stub, json: JSON.stringify(stub) }
}
