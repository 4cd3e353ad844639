/**
 * Processes stored inbound messages asynchronously: claims a pending row, looks up the sender's
 * contacts, downloads media, and calls the chat router with a reply() that goes through the
 * outbox under a key derived from the inbound row, so a reprocessed message never replies twice.
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { ChatContext, ChatDispatcher, InboundMessage, ReplyOptions } from '../chat/router';
import type { OutgoingMessage } from './client';
import type { MediaStore, StoredMedia } from './media';
import { backoffMs } from './errors';
import type { EventLog, NewEvent } from '../domain/events/events';
import type { ContactDirectory } from '../domain/outbox/contacts';
import type { OutboxStore } from '../domain/outbox/store';
import type { InboundRow, InboundStore } from '../domain/inbound/store';

export interface InboundProcessorOptions {
  workerId?: string;
  leaseMs?: number;
  maxAttempts?: number;
  batch?: number;
  /**
   * Says whether callbacks are arriving right now. While they are, the processor gives way: after
   * each claim it pauses `yieldFactor` times as long as handling it took, so answering WeCom
   * (which waits 5 s, then retries) keeps most of the CPU and the database connection, and the
   * backlog is worked off at a bounded share meanwhile and at full speed once the burst ends.
   */
  busy?: () => boolean;
  /** See `busy` (default 3: at most a quarter of the time while callbacks arrive). */
  yieldFactor?: number;
}

const MEDIA_TYPES = new Set(['image', 'file', 'voice', 'video']);
/** The longest pause after a message while callbacks arrive. */
const MAX_PAUSE_MS = 200;
/** Rows claimed at once. */
const CLAIM_BATCH = 8;

export class InboundProcessor {
  readonly workerId: string;

  constructor(
    private readonly store: InboundStore,
    private readonly router: ChatDispatcher,
    private readonly outbox: OutboxStore,
    private readonly contacts: ContactDirectory,
    private readonly media: MediaStore | null,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: InboundProcessorOptions = {},
  ) {
    this.workerId = options.workerId ?? `inbound-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  }

  /** Processes what is due; returns how many rows were handled (successfully or not). */
  async runOnce(): Promise<number> {
    let n = 0;
    const batch = this.options.batch ?? 100;
    // A few rows per claim (one statement), at most one per sender, so a sender's messages stay
    // in order; few, because a process that dies leaves them leased until their lease runs out.
    while (n < batch) {
      const rows = await this.store.claimBatch(this.workerId, this.clock.now(), this.options.leaseMs ?? 120_000, Math.min(CLAIM_BATCH, batch - n));
      if (rows.length === 0) break;
      // Rows handled are recorded done (with their events) together, once the claim is worked off.
      const t0 = performance.now();
      const done: { id: number; event: NewEvent }[] = [];
      for (const row of rows) {
        const handled = await this.process(row);
        if (handled) done.push({ id: row.id, event: handled });
      }
      await this.store.markDoneMany(done, this.workerId, this.clock.now());
      n += rows.length;
      if (this.options.busy?.()) await sleep(Math.min(MAX_PAUSE_MS, (performance.now() - t0) * (this.options.yieldFactor ?? 3)));
    }
    return n;
  }

  /** Handles a row; returns its handled event (to be recorded with the row done), or null when it failed. */
  private async process(row: InboundRow): Promise<NewEvent | null> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    const lastAttempt = row.attempts >= maxAttempts;
    try {
      let media: StoredMedia | null = null;
      if (row.mediaId && MEDIA_TYPES.has(row.msgType) && this.media) {
        try {
          media = await this.media.fetch(row.mediaId, row.id, this.clock.now());
        } catch (e) {
          // Retry the whole message for the file; on the last attempt go on without it.
          if (!lastAttempt) throw e;
          this.logger.error({ inbound: row.id, err: errText(e) }, '下载企业微信媒体文件失败');
        }
      }
      const contacts = await this.contacts.byUserid(row.fromUserName);
      const message: InboundMessage = {
        id: row.id,
        fromUserid: row.fromUserName,
        msgType: row.msgType,
        content: row.content,
        event: row.event,
        eventKey: row.eventKey,
        taskId: row.taskId,
        responseCode: row.responseCode,
        mediaId: row.mediaId,
        picUrl: row.picUrl,
        msgId: row.msgId,
        createTime: row.createTime === null ? null : new Date(row.createTime * 1000),
        receivedAt: row.receivedAt,
        contacts: contacts.map((c) => ({ id: c.id, name: c.name, role: c.role, unitId: c.unitId })),
        media,
      };
      const route = await this.router.dispatch(message, this.chatContext(row, contacts[0]?.id ?? null));
      const at = this.clock.now();
      return {
        type: 'message.in.handled',
        actor: 'system',
        at,
        contactId: contacts[0]?.id ?? null,
        data: { inboundId: row.id, route, attempts: row.attempts },
      };
    } catch (e) {
      const at = this.clock.now();
      const retryAt = lastAttempt ? null : new Date(at.getTime() + backoffMs(row.attempts, 1_000, 60_000));
      await this.store.markFailed(row.id, this.workerId, { error: errText(e), retryAt, at });
      this.logger.error({ inbound: row.id, attempts: row.attempts, err: errText(e) }, '处理企业微信消息失败');
      if (!retryAt) {
        await this.events.append({
          type: 'message.in.failed',
          actor: 'system',
          at,
          data: { inboundId: row.id, error: errText(e), attempts: row.attempts },
        });
      }
      return null;
    }
  }

  private chatContext(row: InboundRow, contactId: number | null): ChatContext {
    let n = 0;
    return {
      reply: async (message: string | OutgoingMessage, options: ReplyOptions = {}) => {
        n += 1;
        const body: OutgoingMessage = typeof message === 'string' ? { msgtype: 'text', text: { content: message } } : message;
        await this.outbox.enqueue(
          {
            idempotencyKey: `reply:${row.id}:${options.key ?? n}`,
            touser: row.fromUserName,
            purpose: options.purpose ?? 'reply',
            workOrderId: options.workOrderId ?? null,
            contactId,
            message: body,
          },
          this.clock.now(),
        );
      },
      updateCard: async (replaceName: string) => {
        if (!row.responseCode) throw new Error('updateCard: the message carries no ResponseCode');
        await this.outbox.enqueue(
          {
            channel: 'update_card',
            idempotencyKey: `card:${row.id}`,
            touser: row.fromUserName,
            purpose: 'card_update',
            contactId,
            update: { response_code: row.responseCode, button: { replace_name: replaceName } },
          },
          this.clock.now(),
        );
      },
    };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
