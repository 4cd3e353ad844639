/**
 * Console sessions: a random id in an HttpOnly cookie, stored as its SHA-256, with a CSRF token
 * the console sends back in a header on every state-changing request (the cookie alone is
 * never enough to change anything). Sessions expire after SESSION_TTL_MS of inactivity.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface Session {
  userId: number;
  csrfToken: string;
  expiresAt: number;
}

/** A sessions row as the drivers return it (see src/db/tables.ts). */
interface SessionRow {
  id_hash: string;
  user_id: number;
  csrf_token: string;
  expires_at: number;
  created_at: number;
}

const sha256 = (v: string) => crypto.createHash('sha256').update(v).digest('hex');

export class SessionStore {
  constructor(private readonly db: Knex) {}

  /** Creates a session; returns the id for the cookie (only its hash is stored). */
  async create(userId: number, now: Date): Promise<{ id: string; csrfToken: string }> {
    const id = crypto.randomBytes(32).toString('base64url');
    const csrfToken = crypto.randomBytes(24).toString('base64url');
    await this.db<SessionRow>('sessions').insert({
      id_hash: sha256(id),
      user_id: userId,
      csrf_token: csrfToken,
      expires_at: now.getTime() + SESSION_TTL_MS,
      created_at: now.getTime(),
    });
    // Old sessions go when new ones are made: the table stays small without a job.
    await this.db<SessionRow>('sessions').where('expires_at', '<', now.getTime()).del();
    return { id, csrfToken };
  }

  /** The live session for a cookie value, its expiry pushed forward when half used. */
  async get(id: string, now: Date): Promise<Session | null> {
    const row = await this.db<SessionRow>('sessions').where({ id_hash: sha256(id) }).first();
    if (!row) return null;
    const expiresAt = Number(row.expires_at);
    if (expiresAt <= now.getTime()) return null;
    let next = expiresAt;
    if (expiresAt - now.getTime() < SESSION_TTL_MS / 2) {
      next = now.getTime() + SESSION_TTL_MS;
      await this.db<SessionRow>('sessions').where({ id_hash: row.id_hash }).update({ expires_at: next });
    }
    return { userId: Number(row.user_id), csrfToken: row.csrf_token, expiresAt: next };
  }

  async destroy(id: string): Promise<void> {
    await this.db<SessionRow>('sessions').where({ id_hash: sha256(id) }).del();
  }
}
