/** One GPU of `nvidia-smi -L`, with its MIG devices when MIG is on. */
export interface ListedGpu {
  index: number
  name: string
  uuid: string
  mig: Array<{ migDeviceIndex: number, profile: string, uuid: string }>
}

// `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-…)` and, under it,
// `  MIG 1g.10gb     Device  2: (UUID: MIG-…)` (590.48.01 capture).
const GPU_LINE = /^GPU (\d+): (.+) \(UUID: (GPU-[0-9A-Fa-f-]+)\)\s*$/
const MIG_LINE = /^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: (MIG-[0-9A-Fa-f-]+)\)\s*$/

/** `nvidia-smi -L` → GPUs and their MIG devices; lines it does not know are skipped. */
export function parseListGpus (text: string): ListedGpu[] {
  const gpus: ListedGpu[] = []
  for (const line of text.split('\n')) {
    const g = GPU_LINE.exec(line)
    if (g) {
      gpus.push({ index: Number(g[1]), name: g[2] as string, uuid: g[3] as string, mig: [] })
      continue
    }
    const m = MIG_LINE.exec(line)
    const gpu = gpus[gpus.length - 1]
    if (m && gpu) gpu.mig.push({ profile: m[1] as string, migDeviceIndex: Number(m[2]), uuid: m[3] as string })
  }
  return gpus
}
