import { at } from './billing-harness.ts'
import type { UsageFixtures } from './billing-fixtures.ts'

/**
 * Two tenants' GPU time around the invoice period [2026-05-08, 2026-05-10) that NOW
 * (2026-05-10 15:20 UTC) gives for days=2: awkward milliseconds, four priced GPU types, one
 * unpriced model, a job still running, rows crossing both period boundaries and a midnight.
 */
export async function seedScenario (f: UsageFixtures) {
  const acme = await f.tenant('Acme ML')
  const nova = await f.tenant('NovAI Labs')
  const [h1, h2, a1, b1, r1, l1, h3] = await f.gpus([
    'NVIDIA H100 80GB HBM3', 'NVIDIA H100 80GB HBM3', 'NVIDIA A100-SXM4-80GB', 'NVIDIA B200', 'NVIDIA RTX A6000', 'NVIDIA L40S', 'NVIDIA H100 PCIe',
  ]) as [number, number, number, number, number, number, number]
  const finetune = await f.job({ tenantId: acme, name: 'llama-3-70b-finetune', gpuCount: 2 })
  const embed = await f.job({ tenantId: acme, name: 'embed' })
  const running = await f.job({ tenantId: acme, name: 'still-running' })
  const render = await f.job({ tenantId: acme, name: 'render' })
  const odd = await f.job({ tenantId: acme, name: 'unpriced-l40s' })
  const old = await f.job({ tenantId: acme, name: 'outside' })
  const other = await f.job({ tenantId: nova, name: 'nova-train' })
  const orphan = await f.job({ tenantId: null, name: 'no-tenant' })

  // H100: starts 1.75 s before the period (clipped) → 3 600 999 ms in it; then 37 063 123 ms.
  await f.assign(finetune, h1, at('2026-05-07T23:59:58.250Z'), at('2026-05-08T01:00:00.999Z'))
  await f.assign(finetune, h2, at('2026-05-08T00:00:00.000Z'), at('2026-05-08T10:17:43.123Z'))
  // A100 across midnight: 6 412 223 ms on the 8th, 10 919 001 ms on the 9th.
  await f.assign(embed, a1, at('2026-05-08T22:13:07.777Z'), at('2026-05-09T03:01:59.001Z'))
  // B200 still running: 14 399 999 ms up to the period end, more up to now.
  await f.assign(running, b1, at('2026-05-09T20:00:00.001Z'), null)
  // A6000 crossing the period end: 1 h in the period, 3 h in all.
  await f.assign(render, r1, at('2026-05-09T23:00:00Z'), at('2026-05-10T02:00:00Z'))
  // No rate for L40S: 7 200 500 ms, unpriced.
  await f.assign(odd, l1, at('2026-05-08T05:00:00Z'), at('2026-05-08T07:00:00.5Z'))
  // Outside the period: before it, and after its end (running now).
  await f.assign(old, h1, at('2026-05-06T00:00:00Z'), at('2026-05-07T00:00:00Z'))
  await f.assign(old, h2, at('2026-05-10T01:00:00Z'), null)
  // Another tenant's and a tenant-less job: never on Acme's bill.
  await f.assign(other, h3, at('2026-05-08T12:00:00Z'), at('2026-05-08T13:00:00Z'))
  await f.assign(orphan, a1, at('2026-05-09T12:00:00Z'), at('2026-05-09T12:30:00Z'))
  return { acme, nova, jobs: { finetune, embed, running, render, odd, old, other, orphan } }
}

/** round-half-up(ms × rate ÷ 3 600 000), written independently of the code under test (exact below 2^53). */
export const expectCents = (ms: number, centsPerHour: number): number => Math.floor((ms * centsPerHour * 2 + 3_600_000) / 7_200_000)
