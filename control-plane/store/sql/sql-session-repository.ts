import { SessionConflictError, type SessionRecord, type SessionRepository } from '../session-repository.ts'
import type { Row, SqlDb } from '../sql-db.ts'

const toRecord = (r: Row): SessionRecord =>
  ({ idHash: String(r.id_hash), keyId: Number(r.key_id), createdAt: Number(r.created_at), expiresAt: Number(r.expires_at) })

export function createSqlSessionRepository (db: SqlDb): SessionRepository {
  return {
    async create (s) {
      try {
        await db.run('INSERT INTO console_sessions (id_hash, key_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
          s.idHash, s.keyId, s.createdAt, s.expiresAt)
      } catch (err) {
        if (db.dialect.isUniqueViolation(err)) throw new SessionConflictError()
        throw err
      }
      return { ...s }
    },
    async findActive (idHash, at) {
      const row = await db.one('SELECT id_hash, key_id, created_at, expires_at FROM console_sessions WHERE id_hash = ? AND expires_at > ?', idHash, at)
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
