/**
 * Inbound callbacks, stored durably and deduplicated before WeCom gets its 200. The processor
 * (src/wecom/inbound-processor.ts) claims pending rows with a lease and dispatches them.
 */
import type { Knex } from 'knex';
import type { EventLog, NewEvent } from '../events/events';
import { dedupeKey, type InboundFields } from '../../wecom/callback/envelope';
import { claimNextRow, claimRows, expireLeasesOf } from '../../db/leased-queue';

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
  /** True while callbacks are being recorded, or were within the last `withinMs` (real time). */
  receiving(withinMs?: number): boolean;
  /** Stores the message unless its dedupe key is known; `created` false for a duplicate. */
  record(fields: InboundFields, raw: string, at: Date): Promise<{ id: number; created: boolean }>;
  get(id: number): Promise<InboundRow | null>;
  list(filter?: { state?: InboundState; fromUserid?: string }): Promise<InboundRow[]>;
  count(): Promise<number>;
  /** Ends the leases this worker holds (its previous run's, when its name is stable); returns how many. */
  expireLeasesOf(workerId: string): Promise<number>;
  claimNext(workerId: string, now: Date, leaseMs: number): Promise<InboundRow | null>;
  /** Claims up to `limit` due rows at once, at most one per sender (its earliest open one), oldest first. */
  claimBatch(workerId: string, now: Date, leaseMs: number, limit: number): Promise<InboundRow[]>;
  markDone(id: number, workerId: string, at: Date): Promise<boolean>;
  /** markDone for several rows and their events, in one transaction; returns the ids recorded. */
  markDoneMany(done: { id: number; event: NewEvent }[], workerId: string, at: Date): Promise<Set<number>>;
  markFailed(id: number, workerId: string, r: { error: string; retryAt: Date | null; at: Date }): Promise<boolean>;
}

/** At most this many callbacks per group commit (well inside SQLite's bound-variable limit). */
const RECORD_BATCH = 200;

interface PendingRecord {
  key: string;
  fields: InboundFields;
  raw: string;
  at: Date;
  resolve(r: { id: number; created: boolean }): void;
  reject(e: unknown): void;
}

function rowOf(p: PendingRecord) {
  const f = p.fields;
  const t = p.at.getTime();
  return {
    dedupe_key: p.key,
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
    raw: p.raw,
    state: 'pending',
    attempts: 0,
    next_attempt_at: t,
    received_at: t,
  };
}

/** An inbound_messages row as the drivers return it (see src/db/tables.ts). */
interface InboundMessageRow {
  id: number;
  dedupe_key: string;
  from_userid: string;
  msg_type: string;
  event: string | null;
  event_key: string | null;
  task_id: string | null;
  response_code: string | null;
  content: string | null;
  media_id: string | null;
  pic_url: string | null;
  msg_id: string | null;
  /** Epoch seconds, as WeCom sends it. */
  create_time: number | null;
  agent_id: string | null;
  raw: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  locked_by: string | null;
  locked_until: number | null;
  received_at: number;
  processed_at: number | null;
  error: string | null;
}

function fromRow(r: InboundMessageRow): InboundRow {
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
    state: r.state as InboundState,
    attempts: Number(r.attempts),
    receivedAt: new Date(Number(r.received_at)),
    processedAt: r.processed_at === null || r.processed_at === undefined ? null : new Date(Number(r.processed_at)),
    error: r.error ?? null,
  };
}

export class KnexInboundStore implements InboundStore {
  onRecord: (() => void) | null = null;

  /**
   * `writer`: the connection the group commit uses (default `db`). The service gives an SQLite
   * file a connection of its own for it, so storing a callback waits at most for the write under
   * way, not behind every query the processor and sender have queued on the shared connection.
   */
  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
    private readonly writer: Knex = db,
  ) {}

  /** Callbacks waiting for the next group commit, and whether one is under way. */
  private queue: PendingRecord[] = [];
  private flushing = false;

  /**
   * Group commit: callbacks that arrive while a transaction is under way are stored together in
   * the next one (one multi-row insert, one lookup of duplicates, one insert of their events), so
   * a burst costs a few statements per batch rather than four per callback. When nothing is under
   * way a callback is written at once: no added wait. Each caller is answered after its batch
   * commits; if the batch fails, every caller in it gets the error (WeCom will retry).
   */
  /** When the last callback came in (performance.now()), for receiving(). */
  private lastRecordAt = -Infinity;

  receiving(withinMs = 100): boolean {
    return this.flushing || performance.now() - this.lastRecordAt < withinMs;
  }

  record(f: InboundFields, raw: string, at: Date): Promise<{ id: number; created: boolean }> {
    this.lastRecordAt = performance.now();
    return new Promise((resolve, reject) => {
      this.queue.push({ key: dedupeKey(f).slice(0, 400), fields: f, raw, at, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, RECORD_BATCH);
        try {
          const results = await this.writeBatch(batch);
          batch.forEach((p, i) => p.resolve(results[i]));
          if (results.some((r) => r.created)) this.onRecord?.();
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(batch: PendingRecord[]): Promise<{ id: number; created: boolean }[]> {
    // The first of several copies in one batch is the one stored; the others are its duplicates.
    const first = new Map<string, PendingRecord>();
    for (const p of batch) if (!first.has(p.key)) first.set(p.key, p);
    const fresh = [...first.values()];
    return this.writer.transaction(async (trx) => {
      const inserted: { id: unknown; dedupe_key: string }[] = await trx<InboundMessageRow>('inbound_messages')
        .insert(fresh.map(rowOf))
        .onConflict('dedupe_key')
        .ignore()
        .returning(['id', 'dedupe_key']);
      const ids = new Map<string, number>(inserted.map((r) => [r.dedupe_key, Number(r.id)]));
      const created = new Set(ids.keys());
      const known = fresh.filter((p) => !ids.has(p.key)).map((p) => p.key);
      if (known.length > 0) {
        for (const r of await trx<InboundMessageRow>('inbound_messages').whereIn('dedupe_key', known).select('id', 'dedupe_key')) {
          ids.set(r.dedupe_key, Number(r.id));
        }
      }
      const events = fresh
        .filter((p) => created.has(p.key))
        .map((p) => ({
          type: 'message.in.received',
          actor: `wecom:${p.fields.fromUserName.slice(0, 100)}`,
          at: p.at,
          data: { inboundId: ids.get(p.key)!, msgType: p.fields.msgType, event: p.fields.event, eventKey: p.fields.eventKey, msgId: p.fields.msgId },
        }));
      if (events.length > 0) await this.events.appendMany(events, trx);
      const claimed = new Set<string>();
      return batch.map((p) => {
        const id = ids.get(p.key);
        if (id === undefined) throw new Error(`inbound: no row for ${p.key}`);
        // Only the first copy of a new key counts as created.
        const isNew = created.has(p.key) && !claimed.has(p.key);
        claimed.add(p.key);
        return { id, created: isNew };
      });
    });
  }

  async get(id: number): Promise<InboundRow | null> {
    const r = await this.db<InboundMessageRow>('inbound_messages').where({ id }).first();
    return r ? fromRow(r) : null;
  }

  async list(filter: { state?: InboundState; fromUserid?: string } = {}): Promise<InboundRow[]> {
    const q = this.db<InboundMessageRow>('inbound_messages').orderBy('id');
    if (filter.state) q.where('state', filter.state);
    if (filter.fromUserid) q.where('from_userid', filter.fromUserid);
    return (await q).map(fromRow);
  }

  async count(): Promise<number> {
    const [{ n }] = await this.db<InboundMessageRow>('inbound_messages').count({ n: '*' });
    return Number(n);
  }

  expireLeasesOf(workerId: string): Promise<number> {
    return expireLeasesOf(this.db, { table: 'inbound_messages', leasedState: 'processing' }, workerId);
  }

  async claimNext(workerId: string, now: Date, leaseMs: number): Promise<InboundRow | null> {
    // One sender's messages in order.
    const c = await claimNextRow(this.db, { table: 'inbound_messages', leasedState: 'processing', orderedBy: 'from_userid' }, workerId, now, leaseMs, (row: InboundMessageRow) => ({
      attempts: Number(row.attempts) + 1,
    }));
    // The leased queue reads any table: its rows here are inbound_messages rows.
    return c ? fromRow(c.after as InboundMessageRow) : null;
  }

  async claimBatch(workerId: string, now: Date, leaseMs: number, limit: number): Promise<InboundRow[]> {
    const rows = await claimRows(this.db, { table: 'inbound_messages', leasedState: 'processing', orderedBy: 'from_userid' }, workerId, now, leaseMs, limit, {
      attempts: this.db.raw('attempts + 1'),
    });
    return (rows as InboundMessageRow[]).map(fromRow);
  }

  async markDoneMany(done: { id: number; event: NewEvent }[], workerId: string, at: Date): Promise<Set<number>> {
    if (done.length === 0) return new Set();
    return this.db.transaction(async (trx) => {
      const rows = await trx<InboundMessageRow>('inbound_messages')
        .whereIn(
          'id',
          done.map((d) => d.id),
        )
        .andWhere({ state: 'processing', locked_by: workerId })
        .update({ state: 'done', processed_at: at.getTime(), locked_by: null, locked_until: null, error: null })
        .returning('id');
      const ids = new Set(rows.map((r) => Number(typeof r === 'object' ? r.id : r)));
      // The handled events are appended whatever became of the lease, as markDone's callers did.
      await this.events.appendMany(
        done.map((d) => d.event),
        trx,
      );
      return ids;
    });
  }

  async markDone(id: number, workerId: string, at: Date): Promise<boolean> {
    const n = await this.db<InboundMessageRow>('inbound_messages')
      .where({ id, state: 'processing', locked_by: workerId })
      .update({ state: 'done', processed_at: at.getTime(), locked_by: null, locked_until: null, error: null });
    return n === 1;
  }

  async markFailed(id: number, workerId: string, r: { error: string; retryAt: Date | null; at: Date }): Promise<boolean> {
    const n = await this.db<InboundMessageRow>('inbound_messages')
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
