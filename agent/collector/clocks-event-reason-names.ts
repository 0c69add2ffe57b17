/** NVML's clocks event reason bits (nvmlClocksEventReason*), named as nvidia-smi's query fields name them. */
const REASONS: ReadonlyArray<readonly [bit: number, name: string]> = [
  [0x1, 'gpu_idle'],
  [0x2, 'applications_clocks_setting'],
  [0x4, 'sw_power_cap'],
  [0x8, 'hw_slowdown'],
  [0x10, 'sync_boost'],
  [0x20, 'sw_thermal_slowdown'],
  [0x40, 'hw_thermal_slowdown'],
  [0x80, 'hw_power_brake_slowdown'],
  [0x100, 'display_clock_setting'],
]

/** The mask's reasons by name; a bit NVML has not named (yet) as `0x…`. */
export function clocksEventReasonNames (mask: number): string[] {
  const names: string[] = []
  let rest = mask
  for (const [bit, name] of REASONS) {
    if ((mask & bit) !== 0) names.push(name)
    rest &= ~bit
  }
  if (rest !== 0 && mask <= 0xffffffff) names.push(`0x${rest.toString(16)}`)
  return names
}
