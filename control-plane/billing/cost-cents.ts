const MS_PER_HOUR = 3_600_000n

/**
 * The price of `gpuMs` GPU-milliseconds at `centsPerGpuHour`, in integer cents, rounded
 * half-up: round(gpu_ms × cents_per_gpu_hour ÷ 3 600 000). This is the only rounding of money
 * in gpufleet: it is applied once per line (one tenant × one rate over one window), and every
 * breakdown of a line apportions its cents (apportionCents) instead of rounding again.
 * BigInt because 90 days × 8 000 GPUs × 599 ¢ (≈ 3.7e16) passes Number's 2^53.
 */
export function costCents (gpuMs: number, centsPerGpuHour: number): number {
  if (!Number.isSafeInteger(gpuMs) || gpuMs < 0) throw new RangeError(`costCents: gpuMs must be a non-negative integer, got ${gpuMs}`)
  if (!Number.isSafeInteger(centsPerGpuHour) || centsPerGpuHour < 0) {
    throw new RangeError(`costCents: centsPerGpuHour must be a non-negative integer, got ${centsPerGpuHour}`)
  }
  const exact = BigInt(gpuMs) * BigInt(centsPerGpuHour)
  return Number((exact * 2n + MS_PER_HOUR) / (2n * MS_PER_HOUR))
}
