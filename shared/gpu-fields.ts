import { NODE_CLAIM_BOUNDS } from './wire/node-claim-bounds.ts'

/** The highest GPU index a host may report (the ingest row's gpu_id; the store's keys rely on it). */
export const MAX_GPU_ID = 255

/**
 * The GPU metrics, one row each, as dcgm-exporter's `etc/default-counters.csv` lists its
 * counters: everything else derives from this table (the agent's nvidia-smi query and cell
 * decoding, its reading type, its DCGM `/metrics` series, the uplink rows, the ingest schema
 * and parser, the store's columns, the API's rows). Adding a metric is a row here plus a
 * telemetry migration per engine when it is stored.
 *
 * Columns:
 * - `smi`: the `--query-gpu` field (590.48's canonical name); `fallback`: the field that stands
 *   in where the driver lacks `smi` or leaves it `[N/A]` (older drivers, pre-Ampere GPUs).
 * - `reading`: the agent's key (agent/collector/snapshot.ts GpuReading), in nvidia-smi's units.
 * - `cell`: how the printed text is read (`number`, a `hexMask`, `yesNo`, a `pstate` `P0`…`P15`).
 * - `range`: the values the hardware can report (a value outside is a fault, never a reading).
 * - `wire`: the ingest row's name (seed 000's five marked `seed`; never renamed), which is also
 *   the store's column; `wireMax` where the ingest bound is tighter than the hardware's;
 *   `uplinkFallback`: the reading sent where `reading` is null.
 * - `sample`: the store's key (GpuSample), `sqlType`: the column's type.
 * - `dcgm`: dcgm-exporter's series name and HELP text, `counter` where DCGM's is a counter.
 *
 * The agent and the store name some readings differently (`temperatureGpuC` and `tempC`):
 * both are data here, pinned by their tests, and code maps one to the other through this table.
 */
export interface GpuField {
  readonly smi: string
  readonly fallback?: string
  readonly reading: string
  readonly cell: 'number' | 'hexMask' | 'yesNo' | 'pstate'
  readonly range?: GpuFieldRange
  readonly wire?: string
  /** One of seed 000's five readings: required on the wire (null when there is none). */
  readonly seed?: true
  readonly wireMax?: number
  readonly uplinkFallback?: string
  readonly sample?: string
  readonly sqlType?: 'real' | 'integer'
  readonly dcgm?: { readonly name: string, readonly help: string, readonly counter?: true }
}

export interface GpuFieldRange {
  readonly min: number
  readonly max: number
  /** Whole numbers only. */
  readonly int?: true
}

// The bounds are what the hardware can report, not alert thresholds: memory is never negative,
// a percentage never above 100, a GPU never at 500 °C.
const MIB = { min: 0, max: 16 * 1024 * 1024 }
const PCT = { min: 0, max: 100 }
const CELSIUS = { min: 0, max: 150 }
const WATTS = { min: 0, max: 10_000 }
const MHZ = { min: 0, max: 100_000 }
const COUNT = { min: 0, max: Number.MAX_SAFE_INTEGER, int: true } as const
// Per GPU (node-claim-bounds.ts): free memory decides GET /v1/route, so a claim is bounded.
const CLAIM_MIB = NODE_CLAIM_BOUNDS.gpuMemoryMb

export const GPU_FIELDS = [
  {
    smi: 'memory.total', reading: 'memoryTotalMib', cell: 'number', range: MIB,
    seed: true, wire: 'memory_total_mb', wireMax: CLAIM_MIB, sample: 'memoryTotalMb', sqlType: 'real',
  },
  {
    smi: 'memory.reserved', reading: 'memoryReservedMib', cell: 'number', range: MIB,
    wire: 'memory_reserved_mb', wireMax: CLAIM_MIB, sample: 'memoryReservedMb', sqlType: 'real',
    dcgm: { name: 'DCGM_FI_DEV_FB_RESERVED', help: 'Framebuffer memory reserved (in MiB).' },
  },
  {
    smi: 'memory.used', reading: 'memoryUsedMib', cell: 'number', range: MIB,
    seed: true, wire: 'memory_used_mb', wireMax: CLAIM_MIB, sample: 'memoryUsedMb', sqlType: 'real',
    dcgm: { name: 'DCGM_FI_DEV_FB_USED', help: 'Framebuffer memory used (in MiB).' },
  },
  {
    smi: 'memory.free', reading: 'memoryFreeMib', cell: 'number', range: MIB,
    dcgm: { name: 'DCGM_FI_DEV_FB_FREE', help: 'Framebuffer memory free (in MiB).' },
  },
  {
    smi: 'utilization.gpu', reading: 'utilizationGpuPct', cell: 'number', range: PCT,
    seed: true, wire: 'utilization_pct', sample: 'utilizationPct', sqlType: 'real',
    dcgm: { name: 'DCGM_FI_DEV_GPU_UTIL', help: 'GPU utilization (in %).' },
  },
  // Time the memory controller was busy, as DCGM's MEM_COPY_UTIL.
  {
    smi: 'utilization.memory', reading: 'utilizationMemoryPct', cell: 'number', range: PCT,
    wire: 'memory_utilization_pct', sample: 'memoryUtilizationPct', sqlType: 'real',
    dcgm: { name: 'DCGM_FI_DEV_MEM_COPY_UTIL', help: 'Memory utilization (in %).' },
  },
  {
    smi: 'temperature.gpu', reading: 'temperatureGpuC', cell: 'number', range: CELSIUS,
    seed: true, wire: 'temp_c', sample: 'tempC', sqlType: 'real',
    dcgm: { name: 'DCGM_FI_DEV_GPU_TEMP', help: 'GPU temperature (in C).' },
  },
  {
    smi: 'temperature.memory', reading: 'temperatureMemoryC', cell: 'number', range: CELSIUS,
    wire: 'memory_temp_c', sample: 'memoryTempC', sqlType: 'real',
    dcgm: { name: 'DCGM_FI_DEV_MEMORY_TEMP', help: 'Memory temperature (in C).' },
  },
  // Seed 000 wants the instantaneous reading (on Ampere and newer `power.draw` is a 1 s average,
  // the same as `power.draw.average`); a driver without the newer names has `power.draw` for
  // both, and a row without an instantaneous reading sends the average. DCGM's POWER_USAGE is
  // the averaged reading; the instantaneous one has its own field.
  {
    smi: 'power.draw.instant', fallback: 'power.draw', reading: 'powerDrawInstantW', cell: 'number', range: WATTS,
    seed: true, wire: 'power_draw_w', uplinkFallback: 'powerDrawAverageW', sample: 'powerDrawW', sqlType: 'real',
    dcgm: { name: 'DCGM_FI_DEV_POWER_USAGE_INSTANT', help: 'Current instantaneous power usage of the device (in W).' },
  },
  {
    smi: 'power.draw.average', fallback: 'power.draw', reading: 'powerDrawAverageW', cell: 'number', range: WATTS,
    wire: 'power_draw_avg_w', sample: 'powerDrawAvgW', sqlType: 'real',
    dcgm: { name: 'DCGM_FI_DEV_POWER_USAGE', help: 'Power draw (in W).' },
  },
  {
    smi: 'power.limit', fallback: 'enforced.power.limit', reading: 'powerLimitW', cell: 'number', range: WATTS,
    wire: 'power_limit_w', sample: 'powerLimitW', sqlType: 'real',
    dcgm: { name: 'DCGM_FI_DEV_POWER_MGMT_LIMIT', help: 'Power management limit (in W).' },
  },
  {
    smi: 'clocks.current.sm', reading: 'smClockMhz', cell: 'number', range: MHZ,
    wire: 'sm_clock_mhz', sample: 'smClockMhz', sqlType: 'real',
    dcgm: { name: 'DCGM_FI_DEV_SM_CLOCK', help: 'SM clock frequency (in MHz).' },
  },
  {
    smi: 'clocks.current.memory', reading: 'memClockMhz', cell: 'number', range: MHZ,
    wire: 'mem_clock_mhz', sample: 'memClockMhz', sqlType: 'real',
    dcgm: { name: 'DCGM_FI_DEV_MEM_CLOCK', help: 'Memory clock frequency (in MHz).' },
  },
  // The agent keeps nvidia-smi's `P0`…`P15`; the wire, the store and DCGM carry the number.
  {
    smi: 'pstate', reading: 'pstate', cell: 'pstate', range: { min: 0, max: 15, int: true },
    wire: 'pstate', sample: 'pstate', sqlType: 'integer',
    dcgm: { name: 'DCGM_FI_DEV_PSTATE', help: 'Performance state (P-State) 0-15. 0=highest.' },
  },
  // Health. HELP texts are DCGM's field descriptions; the counters are DCGM's counters.
  {
    smi: 'ecc.errors.corrected.volatile.total', reading: 'eccCorrectedVolatile', cell: 'number', range: COUNT,
    wire: 'ecc_errors_corrected', sample: 'eccErrorsCorrected', sqlType: 'integer',
    dcgm: { name: 'DCGM_FI_DEV_ECC_SBE_VOL_TOTAL', help: 'Total number of single-bit volatile ECC errors.', counter: true },
  },
  {
    smi: 'ecc.errors.uncorrected.volatile.total', reading: 'eccUncorrectedVolatile', cell: 'number', range: COUNT,
    wire: 'ecc_errors_uncorrected', sample: 'eccErrorsUncorrected', sqlType: 'integer',
    dcgm: { name: 'DCGM_FI_DEV_ECC_DBE_VOL_TOTAL', help: 'Total number of double-bit volatile ECC errors.', counter: true },
  },
  // Why clocks are held down: NVML's bitmask (0x1 idle, 0x4 SW power cap, 0x8 HW slowdown, …).
  // Drivers before the "event reasons" rename lack it.
  {
    smi: 'clocks_event_reasons.active', reading: 'clocksEventReasons', cell: 'hexMask',
    dcgm: { name: 'DCGM_FI_DEV_CLOCKS_EVENT_REASONS', help: 'Current clock event reasons (bitmask of DCGM_CLOCKS_EVENT_REASON_*).' },
  },
  // The row remapper (pre-Ampere GPUs print [N/A]): rows remapped after repeated correctable
  // (single-bit) errors, after an uncorrectable (double-bit) one; a remap waiting for the next
  // GPU reset; a remap that failed because no spare row was left (NVIDIA: replace the GPU).
  {
    smi: 'remapped_rows.correctable', reading: 'remappedRowsCorrectable', cell: 'number', range: COUNT,
    dcgm: { name: 'DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', help: 'Number of remapped rows for correctable errors', counter: true },
  },
  {
    smi: 'remapped_rows.uncorrectable', reading: 'remappedRowsUncorrectable', cell: 'number', range: COUNT,
    dcgm: { name: 'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', help: 'Number of remapped rows for uncorrectable errors', counter: true },
  },
  {
    smi: 'remapped_rows.pending', reading: 'remappedRowsPending', cell: 'yesNo',
    dcgm: { name: 'DCGM_FI_DEV_ROW_REMAP_PENDING', help: 'Whether remapping of rows is pending' },
  },
  {
    smi: 'remapped_rows.failure', reading: 'remappedRowsFailure', cell: 'yesNo',
    dcgm: { name: 'DCGM_FI_DEV_ROW_REMAP_FAILURE', help: 'Whether remapping of rows has failed' },
  },
] as const satisfies readonly GpuField[]

type Row = typeof GPU_FIELDS[number]
type CellValue<C> = C extends 'yesNo' ? boolean : C extends 'pstate' ? string : number

/** The agent's readings of the table, each null where nvidia-smi gave none. */
export type GpuFieldReadings = { [R in Row as R['reading']]: CellValue<R['cell']> | null }
export type GpuReadingKey = keyof GpuFieldReadings

type WireRow = Extract<Row, { wire: string }>
/** The ingest row's readings by wire name (also the store's column names). */
export type GpuWireName = WireRow['wire']
/** The store's readings (GpuSample), by the store's keys. */
export type GpuSampleReadings = { [R in WireRow as R['sample']]: number | null }
export type GpuSampleKey = keyof GpuSampleReadings

/** The rows that travel and are stored, in table order. */
export const WIRE_GPU_FIELDS: readonly WireRow[] = GPU_FIELDS.filter((f): f is WireRow => 'wire' in f)

/** The rows with a DCGM series, in table order. */
export const DCGM_GPU_FIELDS = GPU_FIELDS.filter((f): f is Extract<Row, { dcgm: object }> => 'dcgm' in f)

/**
 * A reading as a number, the way DCGM and the wire carry it: `P8` → 8, true → 1. Null stays
 * null (no reading is never 0).
 */
export function gpuFieldNumber (value: number | string | boolean | null): number | null {
  if (value === null) return null
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'string') return Number(value.slice(1))
  return value
}
