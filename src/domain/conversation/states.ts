/** What the bot waits for from a user: one open question per userid, with an expiry. */
import type { Knex } from 'knex';
import { parseJson } from '../../db/knex';

export type PendingFlow = 'rectify' | 'extension' | 'dispute' | 'reject' | 'refuse' | 'ext_date';

export interface MediaRef {
  mediaId: string;
  storagePath: string;
  mime: string | null;
  size: number;
  sha256: string;
}

export type PendingState =
  | { kind: 'choose_order'; what: 'text' | 'image'; options: number[]; text?: string; media?: MediaRef[] }
  | { kind: 'reason'; flow: PendingFlow; workOrderId: number; replyId?: number; responseCode?: string | null }
  /** A reply the bot did not act on yet: which intent (asked back) and/or which order (candidates). */
  | { kind: 'understood'; text: string; intent: 'done' | 'extension' | 'dispute' | null; options: number[] };

/** Questions expire: an answer a day later is taken as a new message. */
export const PENDING_TTL_MS = 24 * 3600_000;

export class ConversationStates {
  constructor(private readonly db: Knex) {}

  async get(userid: string, now: Date): Promise<PendingState | null> {
    const r = await this.db('conversation_states').where({ userid }).first();
    if (!r || Number(r.expires_at) <= now.getTime()) return null;
    return { kind: r.kind, ...parseJson<Record<string, unknown>>(r.data, {}) } as PendingState;
  }

  async set(userid: string, state: PendingState, now: Date, trx?: Knex.Transaction): Promise<void> {
    const { kind, ...data } = state;
    const t = now.getTime();
    await (trx ?? this.db)('conversation_states')
      .insert({ userid, kind, data: JSON.stringify(data), expires_at: t + PENDING_TTL_MS, created_at: t, updated_at: t })
      .onConflict('userid')
      .merge(['kind', 'data', 'expires_at', 'updated_at']);
  }

  async clear(userid: string, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.db)('conversation_states').where({ userid }).delete();
  }
}
