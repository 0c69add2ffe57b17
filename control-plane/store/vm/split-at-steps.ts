/**
 * [fromMs, toMs) cut for VictoriaMetrics at multiples of `stepMs`: `parts` are the ragged ends
 * (each asked as one instant query over exactly its span; two at most when no whole step fits,
 * either side of a step boundary), `chunks` the whole steps in runs of at most `stepsPerChunk`
 * (each one range query at that step, under the points limit).
 */
export function splitAtSteps (fromMs: number, toMs: number, stepMs: number, stepsPerChunk: number): {
  parts: Array<[number, number]>
  chunks: Array<[number, number]>
} {
  const firstWhole = Math.ceil(fromMs / stepMs) * stepMs
  const lastWhole = Math.floor(toMs / stepMs) * stepMs
  const parts: Array<[number, number]> = []
  const chunks: Array<[number, number]> = []
  if (firstWhole >= lastWhole) {
    const cut = Math.min(firstWhole, toMs)
    parts.push([fromMs, cut])
    if (cut < toMs) parts.push([cut, toMs])
    return { parts, chunks }
  }
  if (fromMs < firstWhole) parts.push([fromMs, firstWhole])
  if (lastWhole < toMs) parts.push([lastWhole, toMs])
  for (let lo = firstWhole; lo < lastWhole; lo += stepsPerChunk * stepMs) chunks.push([lo, Math.min(lastWhole, lo + stepsPerChunk * stepMs)])
  return { parts, chunks }
}
