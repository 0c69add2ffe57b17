import type { SimState } from '../sim-state.ts'
import type { FieldCatalog } from './field-catalog.ts'
import { formatTimestamp, gpuFieldValue } from './gpu-field-value.ts'
import { migFieldValue } from './mig-field-value.ts'
import { renderCell, stripUnit } from './render-csv.ts'
import type { CsvFormat } from './render-csv.ts'
import type { LiveGpu } from './sim-host.ts'

export const DEFAULT_DRIVER_VERSION = '590.48.01'

/** One CSV row per selected GPU for canonical `fields`, in the real CLI's `, ` layout. */
export function renderGpuRows (
  gpus: readonly LiveGpu[],
  state: SimState,
  fields: readonly string[],
  catalog: FieldCatalog,
  format: CsvFormat,
  now: Date,
): string[] {
  const ctx = {
    gpuCount: state.gpus.length,
    driverVersion: state.driverVersion ?? DEFAULT_DRIVER_VERSION,
    timestamp: formatTimestamp(now),
  }
  return gpus.map(gpu => fields.map(field => {
    const override = gpu.overrides?.[field]
    if (override !== undefined) return override
    const unit = catalog.units.get(field)
    const text = migFieldValue(field, gpu) ?? gpuFieldValue(field, { ...ctx, gpu }) ?? stripUnit(catalog.samples.get(field) ?? '[N/A]', unit)
    return renderCell(text, unit, format)
  }).join(', '))
}
