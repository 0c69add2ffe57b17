/**
 * One spelling of a PCI address for matching the kernel log to nvidia-smi: nvidia-smi prints
 * `00000000:18:00.0` (8-digit domain, function), the driver's Xid lines `0000:18:00` (4-digit
 * domain, no function, lower case). Both become `0000:18:00`; anything else is null.
 */
export function normalizeBusId (id: string): string | null {
  const m = /^([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})(?:\.[0-7])?$/.exec(id.trim())
  if (m === null) return null
  const [, domain = '', bus = '', device = ''] = m
  return `${domain.slice(-4)}:${bus}:${device}`.toLowerCase()
}
