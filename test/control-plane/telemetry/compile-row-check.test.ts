import t from 'tap'
import { z } from 'zod'
import { gpuStatRowSchema } from '../../../shared/wire/gpu-stats.ts'
import { compileRowCheck } from '../../../control-plane/telemetry/compile-row-check.ts'

const base = {
  gpu_id: 3, name: 'NVIDIA B200', power_draw_w: 612.4, temp_c: 47, memory_used_mb: 173456, memory_total_mb: 183359,
  utilization_pct: 84, recorded_at: '2026-04-26T04:00:00.123Z', uuid: 'GPU-1', pci_bus_id: '00000000:1B:00.0',
  power_draw_avg_w: 590, power_limit_w: 1000, memory_temp_c: 45, memory_reserved_mb: 512, memory_utilization_pct: 35,
  sm_clock_mhz: 1965, mem_clock_mhz: 3996, ecc_errors_corrected: 0, ecc_errors_uncorrected: 0,
}

t.test('never says yes where zod says no, and says yes to ordinary agent rows', async t => {
  const check = compileRowCheck(gpuStatRowSchema)
  t.ok(check, 'the shared row schema compiles')
  const odd: unknown[] = [null, 'x', 1, [], [base], {}, { gpu_id: 0 }, { name: 'x' }]
  const values: unknown[] = [undefined, null, -1, 0, 0.5, 1, 100, 100.01, 150, 150.5, 255, 256, 10000, 10001, 1e308, -0, Number.NaN,
    '', 'x', 'x'.repeat(64), 'x'.repeat(65), '2026-04-26T04:00:00Z', '2026-04-26T04:00:00+05:30', '2026-02-30T00:00:00Z',
    '2026-04-26 04:00:00', true, {}, []]
  const rows: unknown[] = [...odd, base, { ...base, extra: 'ignored' }]
  for (const key of Object.keys(base)) for (const v of values) rows.push({ ...base, [key]: v })
  let yes = 0
  for (const row of rows) {
    const fast = check!(row)
    const zod = gpuStatRowSchema.safeParse(row).success
    if (fast && !zod) t.fail(`fast path accepted what zod rejects: ${JSON.stringify(row)}`)
    if (fast) yes++
  }
  t.ok(check!(base))
  t.ok(check!({ gpu_id: 0, name: 'NVIDIA B200' }), 'the seed\'s minimal row')
  t.ok(yes > rows.length / 3, `vouched for ${yes} of ${rows.length}`)
})

t.test('anything it does not understand: no fast path at all', async t => {
  t.equal(compileRowCheck(z.object({ a: z.number().positive() })), null, 'exclusiveMinimum')
  t.equal(compileRowCheck(z.object({ a: z.enum(['x', 'y']) })), null)
  t.equal(compileRowCheck(z.object({ a: z.url() })), null, 'a format checked by code, not by a pattern')
  t.equal(compileRowCheck(z.object({ a: z.number().transform(n => n * 2) })), null, 'a transform')
  t.equal(compileRowCheck(z.object({ a: z.number().min(0).refine(n => n % 2 === 0) })), null, 'a refinement JSON Schema cannot show')
  t.equal(compileRowCheck(z.object({ a: z.object({ b: z.string() }) })), null, 'nested objects')
  const email = compileRowCheck(z.object({ a: z.email() }))
  t.equal(email?.({ a: 'ops@example.com' }), true, 'a format zod checks by its pattern')
  t.equal(email?.({ a: 'not an email' }), false)
  t.ok(compileRowCheck(z.object({ a: z.number().int().min(1).nullable(), b: z.string().min(2).optional() })))
})
