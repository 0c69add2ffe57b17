/** Alert storage, async so SQLite and PostgreSQL serve the same interface. (Filled in by its owner.) */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AlertRepository {}
