/** A line nvidia-smi prints instead of (or among) its CSV rows, recognised by its text. */
export type SmiMessage =
  /** `Unable to determine the device handle for GPU 0000:3B:00.0: Unknown Error`: one GPU is gone. */
  | { kind: 'gpu-lost', pciBusId: string, reason: string }
  /** `NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. …` and kin. */
  | { kind: 'driver-failure', message: string }

// Seen in the field with and without the space after "GPU", and with a 4- or 8-digit domain.
const LOST = /^Unable to (?:determine|detect) the device handle for GPU ?([0-9A-Fa-f]{1,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]): (.+)$/i
const DRIVER = /^(NVIDIA-SMI has failed\b.*|Failed to initialize NVML: .+|No devices were found)$/

/** The message a line carries, or null for anything else (a row, garbage). */
export function parseSmiMessage (line: string): SmiMessage | null {
  const trimmed = line.trim()
  const lost = LOST.exec(trimmed)
  if (lost) return { kind: 'gpu-lost', pciBusId: lost[1] as string, reason: (lost[2] as string).replace(/\s+/g, ' ').trim() }
  if (DRIVER.test(trimmed)) return { kind: 'driver-failure', message: trimmed.slice(0, 300) }
  return null
}

/** `00000000:3B:00.0`, `0000:3b:00.0` and `3B:00.0` name one device. */
export function sameBusId (a: string, b: string): boolean {
  const norm = (id: string): string => {
    const parts = id.toLowerCase().split(':')
    const domain = parts.length === 3 ? parseInt(parts[0] as string, 16) : 0
    return `${domain}:${parts.slice(-2).join(':')}`
  }
  return norm(a) === norm(b)
}
