/** Where Slurm accounting is read from: the JSON text of a slurmdb jobs answer for a window. */
export interface SlurmSource {
  /** 'sacct', or the REST URL (never a credential): the import state is kept per source. */
  readonly name: string
  /** Jobs active at any time in [since, until) (epoch ms), as Slurm's JSON; rejects with SlurmImportError. */
  jobsJson: (since: number, until: number) => Promise<string>
}
