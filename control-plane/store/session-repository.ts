/**
 * Console sessions as stored. The session id itself (the cookie value) is never stored: only
 * its SHA-256 (hex), so a copy of the database cannot be replayed as a cookie. A session
 * belongs to the API key typed at login; its scopes are read from that key on every request,
 * so revoking the key ends its sessions at once. Times are UTC epoch milliseconds.
 */
export interface SessionRecord {
  idHash: string
  keyId: number
  createdAt: number
  /** Absolute expiry: the session is refused from this instant on. */
  expiresAt: number
}

/** Session storage, async so SQLite and PostgreSQL serve the same interface. */
export interface SessionRepository {
  /** Throws SessionConflictError if the hash is already stored (a 256-bit id never collides). */
  create: (session: SessionRecord) => Promise<SessionRecord>
  /** The session with this hash if it has not expired at `at` (expiresAt > at), else null. */
  findActive: (idHash: string, at: number) => Promise<SessionRecord | null>
  /** Logout. Returns whether a session was deleted. */
  delete: (idHash: string) => Promise<boolean>
  /** Ends every session of one key (the key was revoked). Returns how many. */
  deleteForKey: (keyId: number) => Promise<number>
  /** Housekeeping: deletes sessions expired at `at` (expiresAt <= at). Returns how many. */
  deleteExpired: (at: number) => Promise<number>
}

export class SessionConflictError extends Error {
  readonly code = 'SESSION_CONFLICT'
  constructor () {
    super('a session with this id already exists')
    this.name = 'SessionConflictError'
  }
}
