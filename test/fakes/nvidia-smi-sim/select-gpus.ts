/** `00000000:18:00.0`, `0000:18:00.0` and `18:00.0` name the same device. */
function normalizeBusId (id: string): string | null {
  const m = /^(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec(id)
  if (!m) return null
  const [, domain = '0', bus = '', dev = '', fn = ''] = m
  return `${parseInt(domain, 16)}:${parseInt(bus, 16)}:${parseInt(dev, 16)}.${fn}`
}

/**
 * `-i 0,3`, `-i GPU-…`, `-i 00000000:18:00.0`: the GPUs named, in enumeration order, or null
 * when one of the ids matches no GPU (the real CLI then reports no devices found).
 */
export function selectGpus<G extends { index: number, uuid: string, pciBusId: string }> (gpus: readonly G[], ids: readonly string[] | null): G[] | null {
  if (ids === null) return [...gpus]
  const picked = new Set<G>()
  for (const id of ids) {
    const bus = normalizeBusId(id)
    const gpu = gpus.find(g =>
      (/^\d+$/.test(id) && g.index === Number(id)) ||
      g.uuid.toLowerCase() === id.toLowerCase() ||
      (bus !== null && normalizeBusId(g.pciBusId) === bus))
    if (!gpu) return null
    picked.add(gpu)
  }
  return gpus.filter(g => picked.has(g))
}
