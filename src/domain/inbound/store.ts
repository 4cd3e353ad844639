/**
 * Inbound callbacks, stored durably and deduplicated before WeCom gets its 200. The processor
 * (processor.ts) claims pending rows with a lease and dispatches them.
 */
import type { Knex } from 'knex';
import { isPostgres } from '../../db/knex';
import type { EventLog } from '../events/events';
import { dedupeKey, type InboundFields } from '../../wecom/callback/envelope';

export type InboundState = 'pending' | 'processing' | 'done' | 'failed';

export interface InboundRow extends InboundFields {
  id: number;
  dedupeKey: string;
  raw: string;
  state: InboundState;
  attempts: number;
  receivedAt: Date;
  processedAt: Date | null;
  error: string | null;
}

export interface InboundStore {
  /** Called after a new message is stored: kicks the processor loop. */
  onRecord: (() => void) | null;
  /** Stores the message unless its dedupe key is known; `created` false for a duplicate. */
  record(fields: InboundFields, raw: string, at: Date): Promise<{ id: number; created: boolean }>;
  get(id: number): Promise<InboundRow | null>;
  list(filter?: { state?: InboundState; fromUserid?: string }): Promise<InboundRow[]>;
  count(): Promise<number>;
  claimNext(workerId: string, now: Date, leaseMs: number): Promise<InboundRow | null>;
  markDone(id: number, workerId: string, at: Date): Promise<boolean>;
  markFailed(id: number, workerId: string, r: { error: string; retryAt: Date | null; at: Date }): Promise<boolean>;
}

function fromRow(r: any): InboundRow {
  return {
    id: Number(r.id),
    dedupeKey: r.dedupe_key,
    toUserName: null,
    fromUserName: r.from_userid,
    createTime: r.create_time === null || r.create_time === undefined ? null : Number(r.create_time),
    msgType: r.msg_type,
    content: r.content ?? null,
    picUrl: r.pic_url ?? null,
    mediaId: r.media_id ?? null,
    msgId: r.msg_id ?? null,
    agentId: r.agent_id ?? null,
    event: r.event ?? null,
    eventKey: r.event_key ?? null,
    taskId: r.task_id ?? null,
    responseCode: r.response_code ?? null,
    raw: r.raw,
    state: r.state,
    attempts: Number(r.attempts),
    receivedAt: new Date(Number(r.received_at)),
    processedAt: r.processed_at === null || r.processed_at === undefined ? null : new Date(Number(r.processed_at)),
    error: r.error ?? null,
  };
}

export class KnexInboundStore implements InboundStore {
  onRecord: (() => void) | null = null;

  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
  ) {}

  async record(f: InboundFields, raw: string, at: Date): Promise<{ id: number; created: boolean }> {
    const key = dedupeKey(f).slice(0, 400);
    const t = at.getTime();
    const result = await this.db.transaction(async (trx) => {
      const inserted = await trx('inbound_messages')
        .insert({
          dedupe_key: key,
          from_userid: f.fromUserName.slice(0, 64),
          msg_type: f.msgType.slice(0, 40),
          event: f.event?.slice(0, 60) ?? null,
          event_key: f.eventKey?.slice(0, 200) ?? null,
          task_id: f.taskId?.slice(0, 200) ?? null,
          response_code: f.responseCode?.slice(0, 300) ?? null,
          content: f.content,
          media_id: f.mediaId?.slice(0, 300) ?? null,
          pic_url: f.picUrl,
          msg_id: f.msgId?.slice(0, 100) ?? null,
          create_time: f.createTime,
          agent_id: f.agentId?.slice(0, 40) ?? null,
          raw,
          state: 'pending',
          attempts: 0,
          next_attempt_at: t,
          received_at: t,
        })
        .onConflict('dedupe_key')
        .ignore()
        .returning('id');
      const row = await trx('inbound_messages').where({ dedupe_key: key }).first('id');
      const created = inserted.length > 0;
      if (created) {
        await this.events.append(
          {
            type: 'message.in.received',
            actor: `wecom:${f.fromUserName.slice(0, 100)}`,
            at,
            data: { inboundId: Number(row.id), msgType: f.msgType, event: f.event, eventKey: f.eventKey, msgId: f.msgId },
          },
          trx,
        );
      }
      return { id: Number(row.id), created };
    });
    if (result.created) this.onRecord?.();
    return result;
  }

  async get(id: number): Promise<InboundRow | null> {
    const r = await this.db('inbound_messages').where({ id }).first();
    return r ? fromRow(r) : null;
  }

  async list(filter: { state?: InboundState; fromUserid?: string } = {}): Promise<InboundRow[]> {
    const q = this.db('inbound_messages').orderBy('id');
    if (filter.state) q.where('state', filter.state);
    if (filter.fromUserid) q.where('from_userid', filter.fromUserid);
    return (await q).map(fromRow);
  }

  async count(): Promise<number> {
    const [{ n }] = await this.db('inbound_messages').count({ n: '*' });
    return Number(n);
  }

  async claimNext(workerId: string, now: Date, leaseMs: number): Promise<InboundRow | null> {
    const t = now.getTime();
    // Two ordered index scans that stop at the first row, rather than one OR over both sets (which
    // made every claim collect and sort the whole backlog: quadratic in it). First a lease that
    // expired (a crashed worker's row; few rows are ever 'processing'), then the due pending rows in
    // next_attempt_at order through (state, next_attempt_at). A sender's earlier open row blocks its
    // later ones (checked through (from_userid, state, id)), so one sender's messages stay in order
    // whichever set a row comes from.
    const blockedBySender = (q: Knex.QueryBuilder) =>
      q.whereNotExists((sub) =>
        sub
          .from('inbound_messages as p')
          .whereRaw('p.from_userid = i.from_userid')
          .whereIn('p.state', ['pending', 'processing'])
          .andWhereRaw('p.id < i.id'),
      );
    const expired = (q: Knex.QueryBuilder) =>
      blockedBySender(q.from('inbound_messages as i').where('i.state', 'processing').andWhere('i.locked_until', '<', t))
        .orderBy('i.id')
        .limit(1);
    const due = (q: Knex.QueryBuilder) =>
      blockedBySender(q.from('inbound_messages as i').where('i.state', 'pending').andWhere('i.next_attempt_at', '<=', t))
        .orderBy('i.next_attempt_at')
        .orderBy('i.id')
        .limit(1);
    const claim = async (db: Knex | Knex.Transaction, row: any): Promise<InboundRow | null> => {
      const n = await db('inbound_messages')
        .where({ id: row.id, state: row.state })
        .andWhere((w) => (row.locked_until === null ? w.whereNull('locked_until') : w.where('locked_until', row.locked_until)))
        .update({ state: 'processing', locked_by: workerId, locked_until: t + leaseMs, attempts: Number(row.attempts) + 1 });
      if (n !== 1) return null;
      return fromRow(await db('inbound_messages').where({ id: row.id }).first());
    };
    if (isPostgres(this.db)) {
      return this.db.transaction(async (trx) => {
        const row =
          (await expired(trx.select('i.*')).forUpdate().skipLocked().first()) ?? (await due(trx.select('i.*')).forUpdate().skipLocked().first());
        return row ? claim(trx, row) : null;
      });
    }
    for (let i = 0; i < 3; i++) {
      const row = (await expired(this.db.select('i.*')).first()) ?? (await due(this.db.select('i.*')).first());
      if (!row) return null;
      const c = await claim(this.db, row);
      if (c) return c;
    }
    return null;
  }

  async markDone(id: number, workerId: string, at: Date): Promise<boolean> {
    const n = await this.db('inbound_messages')
      .where({ id, state: 'processing', locked_by: workerId })
      .update({ state: 'done', processed_at: at.getTime(), locked_by: null, locked_until: null, error: null });
    return n === 1;
  }

  async markFailed(id: number, workerId: string, r: { error: string; retryAt: Date | null; at: Date }): Promise<boolean> {
    const n = await this.db('inbound_messages')
      .where({ id, state: 'processing', locked_by: workerId })
      .update({
        state: r.retryAt ? 'pending' : 'failed',
        next_attempt_at: r.retryAt ? r.retryAt.getTime() : r.at.getTime(),
        processed_at: r.retryAt ? null : r.at.getTime(),
        locked_by: null,
        locked_until: null,
        error: r.error.slice(0, 2000),
      });
    return n === 1;
  }
}
