import type { FleetOp } from '../fleet-action.ts'
import { usageError } from './cli-error.ts'
import { formatTable } from './print-table.ts'

export const listRates: FleetOp = async ctx => {
  const rates = await ctx.controlPlane().listRates()
  ctx.print(rates, () => formatTable(rates, [
    ['GPU TYPE', r => r.gpuType], ['PER GPU-HOUR', r => `${r.pricePerHour.toFixed(2)} ${r.currency.toUpperCase()}`], ['UPDATED', r => r.updatedAt],
  ]))
}

/** DOLLARS per GPU-hour in whole cents (4.76), as the API takes them. */
export const setRate: FleetOp = async (ctx, [gpuType, dollars]) => {
  if (dollars === undefined || !/^[0-9]{1,6}(\.[0-9]{1,2})?$/.test(dollars)) throw usageError(`DOLLARS must be a price per GPU-hour with at most 2 decimals, e.g. 4.76, got ${JSON.stringify(dollars)}`)
  const rate = await ctx.controlPlane().setRate(gpuType ?? '', { pricePerHour: Number(dollars) })
  ctx.print(rate, () => `${rate.gpuType}: ${rate.pricePerHour.toFixed(2)} ${rate.currency.toUpperCase()} per GPU-hour\n`)
}
