/**
 * nvidia-smi's CSV is not RFC 4180: values are joined with ", " and never quoted, and none of
 * the --query-gpu values the agent reads contain that separator (process names can; see
 * parseComputeAppLine). Cells are trimmed; a trailing "\r" is tolerated.
 */
export function splitCsvLine (line: string): string[] {
  return line.replace(/\r$/, '').split(', ').map(cell => cell.trim())
}
