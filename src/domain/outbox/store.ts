/**
 * The outbox: every outgoing WeCom message is first a row with an idempotency key. The sender
 * (src/wecom/outbox-sender.ts) claims rows with a lease, in id order per recipient: a claim hands
 * out only the earliest open row of each recipient, so a recipient's rows never overtake each other.
 */
import type { Knex } from 'knex';
import { parseJson, toBool } from '../../db/knex';
import type { OutgoingMessage } from '../../wecom/client';
import { claimNextRow, claimRows, expireLeasesOf } from '../../db/leased-queue';

export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed' | 'dead' | 'cancelled';
export type OutboxChannel = 'message' | 'update_card' | 'appchat';

export interface UpdateCardPayload {
  response_code: string;
  button?: { replace_name: string };
  template_card?: Record<string, unknown>;
}

export type EnqueueInput = {
  idempotencyKey: string;
  purpose: string;
  workOrderId?: number | null;
  contactId?: number | null;
  /** Not before (default now). */
  notBefore?: Date;
} & (
  | { channel?: 'message'; touser: string; message: OutgoingMessage }
  | { channel: 'appchat'; chatid: string; message: OutgoingMessage }
  | { channel: 'update_card'; touser: string; update: UpdateCardPayload }
);

export interface OutboxRow {
  id: number;
  idempotencyKey: string;
  channel: OutboxChannel;
  touser: string;
  msgtype: string;
  payload: Record<string, unknown>;
  purpose: string;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt: Date | null;
  lockedBy: string | null;
  lockedUntil: Date | null;
  dupCheck: boolean;
  msgid: string | null;
  responseCode: string | null;
  lastErrcode: number | null;
  lastError: string | null;
  workOrderId: number | null;
  contactId: number | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** A claimed row; `maybeSent` says an earlier attempt's outcome is unknown. */
export interface ClaimedRow extends OutboxRow {
  maybeSent: boolean;
}

export interface OutboxFilter {
  state?: OutboxState;
  touser?: string;
  purpose?: string;
  limit?: number;
}

export interface OutboxStore {
  /** Called after a row is enqueued (after its transaction commits): kicks the sender loop. */
  onEnqueue: (() => void) | null;
  /** Idempotent: a second enqueue with the same key returns the first row, unchanged. */
  enqueue(input: EnqueueInput, at: Date, trx?: Knex.Transaction): Promise<{ id: number; created: boolean }>;
  get(id: number): Promise<OutboxRow | null>;
  getByKey(key: string): Promise<OutboxRow | null>;
  list(filter?: OutboxFilter): Promise<OutboxRow[]>;
  /** Claims the next deliverable row (lease in its own committed transaction), or null. */
  /** Ends the leases this worker holds (its previous run's, when its name is stable); returns how many. */
  expireLeasesOf(workerId: string): Promise<number>;
  claimNext(workerId: string, now: Date, leaseMs: number): Promise<ClaimedRow | null>;
  /**
   * Claims up to `limit` deliverable rows at once, at most one per recipient (its earliest open
   * row), oldest first.
   */
  claimBatch(workerId: string, now: Date, leaseMs: number, limit: number): Promise<ClaimedRow[]>;
  /** Records that an attempt starts now (committed before the HTTP call). */
  beginAttempt(id: number, workerId: string, now: Date): Promise<boolean>;
  /** beginAttempt for several rows in one statement; returns the ids this worker still held. */
  beginAttempts(ids: number[], workerId: string, now: Date): Promise<Set<number>>;
  /**
   * Records the row sent (while this worker still holds it); `andThen` runs in the same
   * transaction when it was (the sent event), so a crash leaves both or neither.
   */
  markSent(
    id: number,
    workerId: string,
    r: { msgid: string | null; responseCode: string | null; at: Date },
    andThen?: (trx: Knex.Transaction) => Promise<void>,
  ): Promise<boolean>;
  /**
   * markSent for several rows in one transaction; `andThen` gets the ids recorded (those this
   * worker still held) and runs in the same transaction. Returns those ids.
   */
  markSentMany(
    workerId: string,
    results: { id: number; msgid: string | null; responseCode: string | null; at: Date }[],
    andThen?: (trx: Knex.Transaction, recorded: Set<number>) => Promise<void>,
  ): Promise<Set<number>>;
  /** Back to pending for a later attempt. */
  markRetry(
    id: number,
    workerId: string,
    r: { errcode: number | null; error: string; nextAttemptAt: Date; maybeSent: boolean; at: Date },
  ): Promise<boolean>;
  markFinal(
    id: number,
    workerId: string,
    r: { state: 'failed' | 'dead' | 'cancelled'; errcode: number | null; error: string; at: Date },
  ): Promise<boolean>;
  /** Gives the row back without counting an attempt (pacing). */
  release(id: number, workerId: string, nextAttemptAt: Date, at: Date): Promise<boolean>;
  /** Instants of the latest attempts to this recipient since `since` (pacing). */
  recentAttempts(touser: string, since: Date): Promise<number[]>;
  /** recentAttempts for several recipients in one query (a recipient without any is absent). */
  recentAttemptsOf(tousers: string[], since: Date): Promise<Map<string, number[]>>;
  /** An admin puts a failed or dead row back in the queue. */
  requeue(id: number, at: Date): Promise<boolean>;
}

const ms = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(Number(v)));

export function outboxFromRow(r: any): OutboxRow {
  return {
    id: Number(r.id),
    idempotencyKey: r.idempotency_key,
    channel: r.channel,
    touser: r.touser,
    msgtype: r.msgtype,
    payload: parseJson<Record<string, unknown>>(r.payload, {}),
    purpose: r.purpose,
    state: r.state,
    attempts: Number(r.attempts),
    nextAttemptAt: new Date(Number(r.next_attempt_at)),
    lastAttemptAt: ms(r.last_attempt_at),
    lockedBy: r.locked_by ?? null,
    lockedUntil: ms(r.locked_until),
    dupCheck: toBool(r.dup_check),
    msgid: r.msgid ?? null,
    responseCode: r.response_code ?? null,
    lastErrcode: r.last_errcode === null || r.last_errcode === undefined ? null : Number(r.last_errcode),
    lastError: r.last_error ?? null,
    workOrderId: r.work_order_id === null || r.work_order_id === undefined ? null : Number(r.work_order_id),
    contactId: r.contact_id === null || r.contact_id === undefined ? null : Number(r.contact_id),
    createdAt: new Date(Number(r.created_at)),
    sentAt: ms(r.sent_at),
  };
}

export class KnexOutboxStore implements OutboxStore {
  onEnqueue: (() => void) | null = null;

  constructor(private readonly db: Knex) {}

  async enqueue(input: EnqueueInput, at: Date, trx?: Knex.Transaction): Promise<{ id: number; created: boolean }> {
    const key = input.idempotencyKey.trim();
    if (!key || key.length > 300) throw new Error('outbox: idempotency key must be 1–300 characters');
    let channel: OutboxChannel;
    let touser: string;
    let msgtype: string;
    let payload: Record<string, unknown>;
    if (input.channel === 'update_card') {
      channel = 'update_card';
      touser = input.touser;
      msgtype = 'update_template_card';
      payload = { ...input.update };
    } else if (input.channel === 'appchat') {
      channel = 'appchat';
      touser = input.chatid;
      msgtype = input.message.msgtype;
      payload = { ...input.message };
    } else {
      channel = 'message';
      touser = input.touser;
      msgtype = input.message.msgtype;
      payload = { ...input.message };
    }
    if (!touser || /[|\s]/.test(touser)) throw new Error('outbox: exactly one recipient per row');
    const db = trx ?? this.db;
    const t = at.getTime();
    const inserted = await db('outbox')
      .insert({
        idempotency_key: key,
        channel,
        touser,
        msgtype,
        payload: JSON.stringify(payload),
        purpose: input.purpose,
        state: 'pending',
        attempts: 0,
        next_attempt_at: (input.notBefore ?? at).getTime(),
        dup_check: false,
        work_order_id: input.workOrderId ?? null,
        contact_id: input.contactId ?? null,
        created_at: t,
        updated_at: t,
      })
      .onConflict('idempotency_key')
      .ignore()
      .returning('id');
    const created = inserted.length > 0;
    // A row just inserted says its id; a known key's row is looked up.
    const first = inserted[0] as { id: unknown } | number | undefined;
    const id = created ? Number(typeof first === 'object' ? first.id : first) : Number((await db('outbox').where({ idempotency_key: key }).first('id')).id);
    if (created && !trx) this.onEnqueue?.();
    if (created && trx) trx.executionPromise?.then(() => this.onEnqueue?.(), () => undefined);
    return { id, created };
  }

  async get(id: number): Promise<OutboxRow | null> {
    const r = await this.db('outbox').where({ id }).first();
    return r ? outboxFromRow(r) : null;
  }

  async getByKey(key: string): Promise<OutboxRow | null> {
    const r = await this.db('outbox').where({ idempotency_key: key }).first();
    return r ? outboxFromRow(r) : null;
  }

  async list(filter: OutboxFilter = {}): Promise<OutboxRow[]> {
    const q = this.db('outbox').orderBy('id', 'asc');
    if (filter.state) q.where('state', filter.state);
    if (filter.touser) q.where('touser', filter.touser);
    if (filter.purpose) q.where('purpose', filter.purpose);
    if (filter.limit) q.limit(filter.limit);
    return (await q).map(outboxFromRow);
  }

  expireLeasesOf(workerId: string): Promise<number> {
    return expireLeasesOf(this.db, { table: 'outbox', leasedState: 'sending' }, workerId);
  }

  async claimNext(workerId: string, now: Date, leaseMs: number): Promise<ClaimedRow | null> {
    // Per recipient in id order.
    const c = await claimNextRow(this.db, { table: 'outbox', leasedState: 'sending', orderedBy: 'touser' }, workerId, now, leaseMs, () => ({
      updated_at: now.getTime(),
    }));
    // An attempt started and never recorded (crash, lost lease) or ended ambiguously.
    return c ? { ...outboxFromRow(c.after), maybeSent: toBool(c.before.dup_check) } : null;
  }

  async claimBatch(workerId: string, now: Date, leaseMs: number, limit: number): Promise<ClaimedRow[]> {
    const rows = await claimRows(this.db, { table: 'outbox', leasedState: 'sending', orderedBy: 'touser' }, workerId, now, leaseMs, limit, {
      updated_at: now.getTime(),
    });
    // The claim leaves dup_check as it was: set, an earlier attempt started and was never recorded
    // (crash, lost lease) or ended ambiguously.
    return rows.map((r) => ({ ...outboxFromRow(r), maybeSent: toBool(r.dup_check) }));
  }

  async beginAttempts(ids: number[], workerId: string, now: Date): Promise<Set<number>> {
    const held = new Set<number>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows: any[] = await this.db('outbox')
        .whereIn('id', ids.slice(i, i + 500))
        .andWhere({ state: 'sending', locked_by: workerId })
        .update({
          attempts: this.db.raw('attempts + 1'),
          last_attempt_at: now.getTime(),
          dup_check: true,
          updated_at: now.getTime(),
        })
        .returning('id');
      for (const r of rows) held.add(Number(typeof r === 'object' ? r.id : r));
    }
    return held;
  }

  async markSentMany(
    workerId: string,
    results: { id: number; msgid: string | null; responseCode: string | null; at: Date }[],
    andThen?: (trx: Knex.Transaction, recorded: Set<number>) => Promise<void>,
  ): Promise<Set<number>> {
    if (results.length === 0) return new Set();
    return this.db.transaction(async (trx) => {
      const recorded = new Set<number>();
      for (const r of results) if ((await this.sentUpdate(trx, r.id, workerId, r)) === 1) recorded.add(r.id);
      if (andThen && recorded.size > 0) await andThen(trx, recorded);
      return recorded;
    });
  }

  async beginAttempt(id: number, workerId: string, now: Date): Promise<boolean> {
    const n = await this.db('outbox')
      .where({ id, state: 'sending', locked_by: workerId })
      .update({
        attempts: this.db.raw('attempts + 1'),
        last_attempt_at: now.getTime(),
        dup_check: true,
        updated_at: now.getTime(),
      });
    return n === 1;
  }

  async markSent(
    id: number,
    workerId: string,
    r: { msgid: string | null; responseCode: string | null; at: Date },
    andThen?: (trx: Knex.Transaction) => Promise<void>,
  ): Promise<boolean> {
    if (andThen) {
      return this.db.transaction(async (trx) => {
        const n = await this.sentUpdate(trx, id, workerId, r);
        if (n === 1) await andThen(trx);
        return n === 1;
      });
    }
    return (await this.sentUpdate(this.db, id, workerId, r)) === 1;
  }

  private sentUpdate(db: Knex | Knex.Transaction, id: number, workerId: string, r: { msgid: string | null; responseCode: string | null; at: Date }): Promise<number> {
    return db('outbox').where({ id, state: 'sending', locked_by: workerId }).update({
      state: 'sent',
      msgid: r.msgid,
      response_code: r.responseCode,
      sent_at: r.at.getTime(),
      locked_by: null,
      locked_until: null,
      last_errcode: 0,
      updated_at: r.at.getTime(),
    });
  }

  async markRetry(
    id: number,
    workerId: string,
    r: { errcode: number | null; error: string; nextAttemptAt: Date; maybeSent: boolean; at: Date },
  ): Promise<boolean> {
    const n = await this.db('outbox').where({ id, state: 'sending', locked_by: workerId }).update({
      state: 'pending',
      next_attempt_at: r.nextAttemptAt.getTime(),
      dup_check: r.maybeSent,
      last_errcode: r.errcode,
      last_error: r.error.slice(0, 2000),
      locked_by: null,
      locked_until: null,
      updated_at: r.at.getTime(),
    });
    return n === 1;
  }

  async markFinal(
    id: number,
    workerId: string,
    r: { state: 'failed' | 'dead' | 'cancelled'; errcode: number | null; error: string; at: Date },
  ): Promise<boolean> {
    const n = await this.db('outbox').where({ id, state: 'sending', locked_by: workerId }).update({
      state: r.state,
      last_errcode: r.errcode,
      last_error: r.error.slice(0, 2000),
      locked_by: null,
      locked_until: null,
      updated_at: r.at.getTime(),
    });
    return n === 1;
  }

  async release(id: number, workerId: string, nextAttemptAt: Date, at: Date): Promise<boolean> {
    const n = await this.db('outbox').where({ id, state: 'sending', locked_by: workerId }).update({
      state: 'pending',
      next_attempt_at: nextAttemptAt.getTime(),
      locked_by: null,
      locked_until: null,
      updated_at: at.getTime(),
    });
    return n === 1;
  }

  async recentAttempts(touser: string, since: Date): Promise<number[]> {
    const rows = await this.db('outbox')
      .where({ touser })
      .andWhere('last_attempt_at', '>', since.getTime())
      .select('last_attempt_at');
    return rows.map((r: any) => Number(r.last_attempt_at));
  }

  async recentAttemptsOf(tousers: string[], since: Date): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    const unique = [...new Set(tousers)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db('outbox')
        .whereIn('touser', unique.slice(i, i + 500))
        .andWhere('last_attempt_at', '>', since.getTime())
        .select('touser', 'last_attempt_at');
      for (const r of rows as { touser: string; last_attempt_at: unknown }[]) {
        const list = out.get(r.touser) ?? [];
        list.push(Number(r.last_attempt_at));
        out.set(r.touser, list);
      }
    }
    return out;
  }

  async requeue(id: number, at: Date): Promise<boolean> {
    const n = await this.db('outbox')
      .where({ id })
      .whereIn('state', ['failed', 'dead'])
      .update({ state: 'pending', attempts: 0, next_attempt_at: at.getTime(), updated_at: at.getTime() });
    if (n === 1) this.onEnqueue?.();
    return n === 1;
  }
}
