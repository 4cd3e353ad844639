/**
 * The outbox sender: claims rows in batches (one per recipient at a time), paces per recipient, sends through the WeCom
 * client, records msgid / errcode / attempts, retries transient failures with bounded backoff,
 * and turns final failures into events, unreachable contacts and admin notices.
 *
 * Exactly-once as far as we can: the lease is committed before the HTTP call; a row whose
 * earlier attempt has an unknown outcome (crash, timeout, reset) is resent with WeCom's
 * duplicate check as a second line of defence.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { EventLog, NewEvent } from '../domain/events/events';
import type { OutgoingMessage, WecomClient } from './client';
import { backoffMs, classify, errcodeOf } from './errors';
import { nextSendAt, pacingHorizonMs, WECOM_LIMITS, type PacingLimit } from './pacing';
import type { ContactDirectory } from '../domain/outbox/contacts';
import type { ClaimedRow, OutboxRow, OutboxStore } from '../domain/outbox/store';

/** An image message whose file is one of ours (MEDIA_DIR-relative), uploaded when sent. */
export interface LocalImage {
  msgtype: 'image';
  image: { local: { path: string; mime: string | null } };
}

export interface OutboxSenderOptions {
  /** Where local images (evidence) live: MEDIA_DIR. */
  mediaDir?: string;
  workerId?: string;
  /** Lease of a claimed row (default 60 s; longer than the client timeout). */
  leaseMs?: number;
  /** Attempts before a row is dead (default 8). */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** duplicate_check_interval for resends of a row whose outcome is unknown (default 14400 s). */
  duplicateCheckIntervalS?: number;
  limits?: readonly PacingLimit[];
  /** Rows per runOnce (default 100). */
  batch?: number;
  /**
   * Sends in flight at once (default 8), each to a different recipient: a claimed batch holds at
   * most one row per recipient, so per-recipient order and pacing hold whatever this is.
   */
  concurrency?: number;
  /** Told about deliveries from the start (more may be added to `listeners`). */
  listeners?: readonly DeliveryListener[];
  /**
   * Says whether callbacks are arriving right now. While they are, the sender gives way: before
   * each claim it pauses 3 times as long as its previous claim took to handle (at most 200 ms),
   * so answering WeCom keeps most of the CPU and the database connection.
   */
  busy?: () => boolean;
}

/** Told about deliveries (e.g. a work order is notified when WeCom accepts its card). */
export interface DeliveryListener {
  /**
   * Asked just before a row is sent: a reason (Chinese) when the message is no longer wanted
   * (a reminder or ladder step whose order has been answered meanwhile), else null.
   */
  obsolete?(row: OutboxRow): Promise<string | null>;
  onSent?(row: OutboxRow): Promise<void>;
  onFailed?(row: OutboxRow, errcode: number | null): Promise<void>;
}

export type SendOutcome = 'sent' | 'retry' | 'failed' | 'dead' | 'paced' | 'lost' | 'cancelled';

export class OutboxSender {
  readonly workerId: string;
  /** Called after a row is recorded sent or finally failed; their errors are logged, not thrown. */
  readonly listeners: DeliveryListener[];
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly dupIntervalS: number;
  private readonly limits: readonly PacingLimit[];

  constructor(
    private readonly store: OutboxStore,
    private readonly client: WecomClient,
    private readonly events: EventLog,
    private readonly contacts: ContactDirectory,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: OutboxSenderOptions = {},
  ) {
    this.workerId = options.workerId ?? `outbox-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    this.listeners = [...(options.listeners ?? [])];
    this.leaseMs = options.leaseMs ?? 60_000;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.dupIntervalS = Math.min(14_400, options.duplicateCheckIntervalS ?? 14_400);
    this.limits = options.limits ?? WECOM_LIMITS;
  }

  /**
   * Delivers what is due now; returns the outcomes (one per claimed row, in claim order).
   *
   * Rows are claimed in batches (store.claimBatch): at most one row per recipient, its earliest
   * open one, so the rows claimed may be sent at the same time (up to `concurrency`) without a
   * recipient's later row ever overtaking an earlier one (that one is leased, or pending with its
   * retry time, and either way blocks the claim of the rows behind it). A claim is topped up as
   * sends end. Each claim costs a handful of statements: the claim, one pacing lookup for all its
   * recipients, one update recording that the attempts start (committed before any HTTP call); the
   * sent rows are recorded together with their events as their answers come in (group commit).
   */
  async runOnce(): Promise<SendOutcome[]> {
    const outcomes: SendOutcome[] = [];
    const batch = this.options.batch ?? 100;
    const concurrency = Math.max(1, Math.min(this.options.concurrency ?? DEFAULT_CONCURRENCY, batch));
    const paced = new Set<number>();
    const recorder = new SentRecorder(this.store, this.events, this.workerId);
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | null = null;
    // Claimed rows are leased: only as many are claimed as can be sent now, so a process that dies
    // leaves few recipients waiting for their lease to run out.
    let worked = 0;
    while (failure === null && outcomes.length < batch) {
      if (worked > 0 && this.options.busy?.()) await sleep(Math.min(MAX_PAUSE_MS, worked * 3));
      const t0 = performance.now();
      const room = Math.min(concurrency - inFlight.size, batch - outcomes.length);
      const rows = room > 0 ? await this.store.claimBatch(this.workerId, this.clock.now(), this.leaseMs, room) : [];
      if (rows.length === 0) {
        // Nothing more now; a send that ends may free its recipient's next row.
        if (inFlight.size === 0) break;
        await Promise.race(inFlight);
        continue;
      }
      const first = outcomes.length;
      outcomes.push(...rows.map((): SendOutcome => 'lost'));
      const toSend = await this.prepare(rows, paced, (i, o) => (outcomes[first + i] = o));
      worked = performance.now() - t0;
      for (const i of toSend) {
        const p: Promise<void> = this.attempt(rows[i], recorder).then(
          (o) => void (outcomes[first + i] = o),
          (error: unknown) => void (failure ??= { error }),
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      // Rows given back for pacing are not due again before their slot: nothing else to claim.
      if (toSend.length === 0 && inFlight.size === 0 && rows.every((r) => paced.has(r.id))) break;
    }
    await Promise.all(inFlight);
    if (failure !== null) throw (failure as { error: unknown }).error;
    return outcomes;
  }

  /**
   * Obsolete rows cancelled, rows over their recipient's pacing given back, and the attempts of the
   * others recorded as started (one statement, committed before any of them is sent). Returns the
   * indexes of the rows to send; `set` gets the outcome of the others.
   */
  private async prepare(rows: ClaimedRow[], paced: Set<number>, set: (i: number, o: SendOutcome) => void): Promise<number[]> {
    const now = this.clock.now();
    const paceable = rows.filter((r) => r.channel !== 'appchat').map((r) => r.touser);
    const recent = paceable.length > 0 ? await this.store.recentAttemptsOf(paceable, new Date(now.getTime() - pacingHorizonMs(this.limits))) : new Map<string, number[]>();
    const toSend: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      const reason = await this.obsolete(row);
      if (reason) {
        set(i, await this.cancel(row, reason, now));
        continue;
      }
      if (row.channel !== 'appchat') {
        const slot = nextSendAt(recent.get(row.touser) ?? [], now.getTime(), this.limits);
        if (slot > now.getTime()) {
          await this.store.release(row.id, this.workerId, new Date(slot), now);
          this.logger.debug({ outbox: row.id, touser: row.touser, until: new Date(slot).toISOString() }, 'outbox paced');
          paced.add(row.id);
          set(i, 'paced');
          continue;
        }
      }
      toSend.push(i);
    }
    if (toSend.length === 0) return [];
    const begun = await this.store.beginAttempts(toSend.map((i) => rows[i].id), this.workerId, now);
    return toSend.filter((i) => begun.has(rows[i].id));
  }

  /** Nothing is attempted: the row is closed as it stands (no attempt counted, no pacing used). */
  private async cancel(row: ClaimedRow, reason: string, now: Date): Promise<SendOutcome> {
    if (!(await this.store.markFinal(row.id, this.workerId, { state: 'cancelled', errcode: null, error: reason, at: now }))) return 'lost';
    await this.events.append({
      type: 'message.out.cancelled',
      actor: 'system',
      at: now,
      workOrderId: row.workOrderId,
      contactId: row.contactId,
      data: { outboxId: row.id, touser: row.touser, purpose: row.purpose, reason },
    });
    return 'cancelled';
  }

  /** Sends a row whose attempt is recorded as started, and records how it went. */
  private async attempt(row: ClaimedRow, recorder: SentRecorder): Promise<SendOutcome> {
    const attempt = row.attempts + 1;
    try {
      const result = await this.send(row);
      const at = this.clock.now();
      if (row.channel !== 'appchat' && result.invalidUsers.includes(row.touser)) {
        // errcode 0, but our only recipient is listed as invalid: nothing was delivered.
        await this.store.markFinal(row.id, this.workerId, { state: 'failed', errcode: 0, error: `invaliduser: ${row.touser}`, at });
        await this.events.append({
          type: 'message.out.failed',
          actor: 'system',
          at,
          workOrderId: row.workOrderId,
          contactId: row.contactId,
          data: { outboxId: row.id, touser: row.touser, purpose: row.purpose, errcode: 0, error: 'invaliduser', attempts: attempt, kind: 'recipient' },
        });
        await this.flagUnreachable(row.touser, `企业微信返回接收人无效 (invaliduser)，消息 #${row.id}`, row, 'invaliduser');
        return 'failed';
      }
      const sentEvent: NewEvent = {
        type: 'message.out.sent',
        actor: 'system',
        at,
        workOrderId: row.workOrderId,
        contactId: row.contactId,
        data: {
          outboxId: row.id,
          touser: row.touser,
          msgtype: row.msgtype,
          purpose: row.purpose,
          msgid: result.msgid,
          attempts: attempt,
          duplicateCheck: row.maybeSent,
        },
      };
      // The row and its sent event are recorded together (with other rows answered meanwhile).
      const recorded = await recorder.record({ id: row.id, msgid: result.msgid, responseCode: result.responseCode, at, event: sentEvent });
      if (!recorded) {
        this.logger.warn({ outbox: row.id }, 'outbox lease lost before the send was recorded');
        await this.events.append(sentEvent);
      }
      for (const userid of result.invalidUsers) {
        await this.flagUnreachable(userid, `部分接收人无效 (invaliduser)，消息 #${row.id}`, row, 'invaliduser');
      }
      await this.tell((l) => l.onSent?.({ ...row, state: 'sent', msgid: result.msgid, responseCode: result.responseCode, sentAt: at }));
      return 'sent';
    } catch (err) {
      return this.handleFailure(row, attempt, err);
    }
  }

  private async send(row: ClaimedRow): Promise<{ msgid: string | null; responseCode: string | null; invalidUsers: string[] }> {
    const dup = row.maybeSent ? { duplicateCheckIntervalS: this.dupIntervalS } : {};
    if (row.channel === 'update_card') {
      const p = row.payload as { response_code: string; button?: { replace_name: string }; template_card?: Record<string, unknown> };
      const data = await this.client.updateTemplateCard({ userids: [row.touser], ...p });
      return { msgid: null, responseCode: null, invalidUsers: splitIds(data.invaliduser) };
    }
    if (row.channel === 'appchat') {
      await this.client.sendAppChat(row.touser, row.payload as unknown as OutgoingMessage);
      return { msgid: null, responseCode: null, invalidUsers: [] };
    }
    const r = await this.client.sendMessage(row.touser, await this.withMedia(row.payload as unknown as OutgoingMessage | LocalImage), dup);
    // The one recipient invalid is the 81013 case, but a server may report it as invaliduser only.
    return r;
  }

  /**
   * An image stored by us (evidence) is uploaded at send time (media/upload: a media_id lives 3
   * days, so it is never stored in the outbox) and sent by its media_id.
   */
  private async withMedia(m: OutgoingMessage | LocalImage): Promise<OutgoingMessage> {
    if (m.msgtype !== 'image' || !('local' in m.image)) return m as OutgoingMessage;
    const dir = this.options.mediaDir;
    if (!dir) throw new Error('OutboxSender: no mediaDir for a local image');
    const file = path.resolve(dir, m.image.local.path);
    if (!file.startsWith(path.resolve(dir) + path.sep)) throw new Error(`image outside MEDIA_DIR: ${m.image.local.path}`);
    const data = await fs.promises.readFile(file);
    const id = await this.client.uploadMedia('image', data, path.basename(file), m.image.local.mime ?? 'image/png');
    return { msgtype: 'image', image: { media_id: id } };
  }

  private async handleFailure(row: ClaimedRow, attempt: number, err: unknown): Promise<SendOutcome> {
    const at = this.clock.now();
    const c = classify(err);
    const errcode = errcodeOf(err);
    const message = err instanceof Error ? err.message : String(err);
    const retryable = c.kind === 'retry' || c.kind === 'token';
    if (retryable && attempt < this.maxAttempts) {
      const next = new Date(at.getTime() + backoffMs(attempt, this.options.backoffBaseMs, this.options.backoffCapMs));
      // Sticky: a definite failure now says nothing about an earlier attempt whose outcome was
      // unknown (it may have been delivered), so the duplicate check stays on for the row.
      const maybeSent = c.ambiguous || row.maybeSent;
      await this.store.markRetry(row.id, this.workerId, { errcode, error: message, nextAttemptAt: next, maybeSent, at });
      this.logger.warn({ outbox: row.id, errcode, attempt, next: next.toISOString() }, '企业微信发送失败，稍后重试');
      return 'retry';
    }
    const state = retryable ? 'dead' : 'failed';
    await this.store.markFinal(row.id, this.workerId, { state, errcode, error: message, at });
    await this.events.append({
      type: state === 'dead' ? 'message.out.dead' : 'message.out.failed',
      actor: 'system',
      at,
      workOrderId: row.workOrderId,
      contactId: row.contactId,
      data: { outboxId: row.id, touser: row.touser, purpose: row.purpose, errcode, error: message, attempts: attempt, kind: c.kind },
    });
    await this.tell((l) => l.onFailed?.({ ...row, state, lastErrcode: errcode, lastError: message }, errcode));
    if (c.kind === 'config') {
      this.logger.error(
        { outbox: row.id, errcode },
        `企业微信配置错误（errcode ${errcode}），消息未发送：请检查 WECOM_CORP_ID / WECOM_SECRET 及可信 IP`,
      );
    } else if (c.kind === 'recipient') {
      await this.flagUnreachable(row.touser, `企业微信无法送达（errcode ${errcode}），消息 #${row.id}`, row, `errcode ${errcode}`);
    } else if (state === 'dead') {
      this.logger.error({ outbox: row.id, errcode, attempts: attempt }, '企业微信消息多次重试仍失败，已放弃');
      await this.notifyAdmins(
        `dead:${row.id}`,
        `【系统提醒】发给 ${row.touser} 的消息（#${row.id}，${row.purpose}）重试 ${attempt} 次仍失败，已放弃。最后错误：${
          errcode !== null ? `errcode ${errcode}` : message
        }`,
        row.touser,
      );
    } else {
      this.logger.error({ outbox: row.id, errcode, err: message }, '企业微信消息发送失败（不重试）');
    }
    return state;
  }

  private async obsolete(row: ClaimedRow): Promise<string | null> {
    for (const l of this.listeners) {
      if (!l.obsolete) continue;
      try {
        const reason = await l.obsolete(row);
        if (reason) return reason;
      } catch (e) {
        // When in doubt, send: a late reminder is better than a lost one.
        this.logger.error({ outbox: row.id, err: e instanceof Error ? e.message : String(e) }, '检查消息是否仍需发送时出错，照常发送');
      }
    }
    return null;
  }

  private async tell(call: (l: DeliveryListener) => Promise<void> | undefined): Promise<void> {
    for (const l of this.listeners) {
      try {
        await call(l);
      } catch (e) {
        this.logger.error({ err: e instanceof Error ? e.message : String(e) }, '消息送达后的处理出错');
      }
    }
  }

  private async flagUnreachable(userid: string, reason: string, row: ClaimedRow, why: string): Promise<void> {
    const at = this.clock.now();
    const changed = await this.contacts.markUnreachable(userid, reason, at);
    for (const c of changed) {
      await this.events.append({
        type: 'contact.unreachable',
        actor: 'system',
        at,
        contactId: c.id,
        unitId: c.unitId,
        workOrderId: row.workOrderId,
        data: { userid, reason: why, outboxId: row.id },
      });
    }
    this.logger.warn({ userid, outbox: row.id, why }, '联系人在企业微信中无法送达，已标记');
    // Admins are told when a contact becomes unreachable, not again for every later message to it
    // (those fail the same way until someone fixes the contact). A userid that is no contact at all
    // is reported each time: there is nothing to mark.
    if (changed.length === 0 && (await this.contacts.byUserid(userid)).length > 0) return;
    await this.notifyAdmins(
      `unreachable:${userid}:${row.id}`,
      changed.length > 0
        ? `【系统提醒】联系人 ${changed[0].name ?? ''}（企业微信账号 ${userid}）无法接收消息（${why}），已标记为不可达。请核对通讯录后更新联系人。`
        : `【系统提醒】企业微信账号 ${userid} 无法接收消息（${why}，消息 #${row.id}），该账号不在联系人中。请核对通讯录。`,
      userid,
    );
  }

  private async notifyAdmins(keySuffix: string, text: string, exceptUserid: string): Promise<void> {
    const admins = (await this.contacts.admins()).filter((a) => a.userid !== exceptUserid);
    if (admins.length === 0) {
      this.logger.error({ notice: keySuffix }, `没有可通知的管理员：${text}`);
      return;
    }
    const seen = new Set<string>();
    for (const a of admins) {
      if (seen.has(a.userid)) continue;
      seen.add(a.userid);
      await this.store.enqueue(
        {
          idempotencyKey: `admin:${keySuffix}:${a.userid}`,
          touser: a.userid,
          purpose: 'admin_notice',
          contactId: a.id,
          message: { msgtype: 'text', text: { content: text } },
        },
        this.clock.now(),
      );
    }
  }
}

/**
 * Records sent rows and their events in as few transactions as the database allows: answers that
 * come in while a transaction is being written are recorded together in the next one.
 */
class SentRecorder {
  private queue: { id: number; msgid: string | null; responseCode: string | null; at: Date; event: NewEvent; done: (recorded: boolean) => void; fail: (e: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly store: OutboxStore,
    private readonly events: EventLog,
    private readonly workerId: string,
  ) {}

  /** Resolves true once the row is recorded sent, false when this worker no longer held it. */
  record(r: { id: number; msgid: string | null; responseCode: string | null; at: Date; event: NewEvent }): Promise<boolean> {
    return new Promise((done, fail) => {
      this.queue.push({ ...r, done, fail });
      if (!this.writing) void this.write();
    });
  }

  private async write(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const items = this.queue.splice(0);
      try {
        const recorded = await this.store.markSentMany(this.workerId, items, async (trx, ids) => {
          await this.events.appendMany(
            items.filter((x) => ids.has(x.id)).map((x) => x.event),
            trx,
          );
        });
        for (const x of items) x.done(recorded.has(x.id));
      } catch (e) {
        for (const x of items) x.fail(e);
      }
    }
    this.writing = false;
  }
}

/** The longest pause before a claim while callbacks arrive. */
const MAX_PAUSE_MS = 200;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends in flight at once by default. */
const DEFAULT_CONCURRENCY = 8;

function splitIds(v: unknown): string[] {
  return typeof v === 'string' && v ? v.split('|').filter(Boolean) : [];
}

