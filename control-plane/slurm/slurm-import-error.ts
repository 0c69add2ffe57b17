/** Why an import failed; the code is logged and shown with the last imported data. */
export type SlurmImportCode = 'SLURM_UNREACHABLE' | 'SLURM_AUTH_FAILED' | 'SLURM_BAD_ANSWER' | 'SLURM_COMMAND_FAILED'

export class SlurmImportError extends Error {
  readonly code: SlurmImportCode
  constructor (code: SlurmImportCode, message: string) {
    super(message)
    this.name = 'SlurmImportError'
    this.code = code
  }
}
