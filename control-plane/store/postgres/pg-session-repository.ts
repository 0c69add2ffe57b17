import { SessionConflictError, type SessionRecord, type SessionRepository } from '../session-repository.ts'
import type { PgDb } from './pg-db.ts'
import { isUniqueViolation } from './pg-errors.ts'


interface Row { id_hash: string, key_id: number, created_at: number, expires_at: number }

const toRecord = (r: Row): SessionRecord => ({ idHash: r.id_hash, keyId: r.key_id, createdAt: r.created_at, expiresAt: r.expires_at })

export async function createPgSessionRepository (db: PgDb): Promise<SessionRepository> {
  return {
    async create (s) {
      try {
        await db.run('INSERT INTO console_sessions (id_hash, key_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
          s.idHash, s.keyId, s.createdAt, s.expiresAt)
      } catch (err) {
        if (isUniqueViolation(err)) throw new SessionConflictError()
        throw err
      }
      return { ...s }
    },
    async findActive (idHash, at) {
      const row = await db.one<Row>('SELECT id_hash, key_id, created_at, expires_at FROM console_sessions WHERE id_hash = ? AND expires_at > ?', idHash, at)
      return row === undefined ? null : toRecord(row)
    },
    async delete (idHash) {
      return (await db.run('DELETE FROM console_sessions WHERE id_hash = ?', idHash)) > 0
    },
    async deleteForKey (keyId) {
      return db.run('DELETE FROM console_sessions WHERE key_id = ?', keyId)
    },
    async deleteExpired (at) {
      return db.run('DELETE FROM console_sessions WHERE expires_at <= ?', at)
    },
  }
}
