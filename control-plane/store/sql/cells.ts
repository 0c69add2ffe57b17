// A nullable column as the engines return it (node:sqlite: number | bigint | string | null;
// pg: number | string | null; either may leave a missing column undefined).
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))
