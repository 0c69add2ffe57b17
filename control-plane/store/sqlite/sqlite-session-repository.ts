import { SessionConflictError, type SessionRecord, type SessionRepository } from '../session-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'


interface Row { id_hash: string, key_id: number, created_at: number, expires_at: number }

const SQLITE_CONSTRAINT_PRIMARYKEY = 1555

const toRecord = (r: Row): SessionRecord => ({ idHash: r.id_hash, keyId: r.key_id, createdAt: r.created_at, expiresAt: r.expires_at })

export function createSqliteSessionRepository (db: SqliteDb): SessionRepository {
  return {
    async create (s) {
      try {
        db.stmt('INSERT INTO console_sessions (id_hash, key_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
          .run(s.idHash, s.keyId, s.createdAt, s.expiresAt)
      } catch (err) {
        if ((err as { errcode?: number }).errcode === SQLITE_CONSTRAINT_PRIMARYKEY) throw new SessionConflictError()
        throw err
      }
      return { ...s }
    },
    async findActive (idHash, at) {
      const row = db.stmt('SELECT id_hash, key_id, created_at, expires_at FROM console_sessions WHERE id_hash = ? AND expires_at > ?')
        .get(idHash, at) as Row | undefined
      return row === undefined ? null : toRecord(row)
    },
    async delete (idHash) {
      return Number(db.stmt('DELETE FROM console_sessions WHERE id_hash = ?').run(idHash).changes) > 0
    },
    async deleteForKey (keyId) {
      return Number(db.stmt('DELETE FROM console_sessions WHERE key_id = ?').run(keyId).changes)
    },
    async deleteExpired (at) {
      return Number(db.stmt('DELETE FROM console_sessions WHERE expires_at <= ?').run(at).changes)
    },
  }
}
