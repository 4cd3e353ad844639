/**
 * The one way product messages leave: every bot message (replies, notices, review cards,
 * admin notices) is enqueued here, so quiet hours (src/domain/followup/quiet-policy.ts) can hold them in one place.
 */
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import type { OutgoingMessage } from '../../wecom/client';
import type { OutboxStore } from '../outbox/store';
import type { QuietPolicy } from '../followup/quiet-policy';

export interface SendInput {
  /** Idempotency key: the same key never sends twice. */
  key: string;
  touser: string;
  purpose: string;
  message: string | OutgoingMessage;
  workOrderId?: number | null;
  contactId?: number | null;
  notBefore?: Date;
}

export class Messenger {
  constructor(
    private readonly outbox: OutboxStore,
    private readonly clock: Clock,
    private readonly quiet: QuietPolicy | null = null,
  ) {}

  /**
   * Enqueues a message; returns whether it is new (false: the key was used before). Outside
   * working hours a message whose purpose is not allowed then waits for the next working period.
   */
  async send(input: SendInput, trx?: Knex.Transaction): Promise<{ id: number; created: boolean }> {
    const message: OutgoingMessage = typeof input.message === 'string' ? { msgtype: 'text', text: { content: input.message } } : input.message;
    const now = this.clock.now();
    const asked = input.notBefore && input.notBefore.getTime() > now.getTime() ? input.notBefore : now;
    const held = this.quiet ? await this.quiet.holdUntil(input.purpose, asked, trx) : null;
    const notBefore = held ?? input.notBefore;
    return this.outbox.enqueue(
      {
        idempotencyKey: input.key,
        touser: input.touser,
        purpose: input.purpose,
        workOrderId: input.workOrderId ?? null,
        contactId: input.contactId ?? null,
        notBefore,
        message,
      },
      now,
      trx,
    );
  }

  /** When a message of this purpose asked for at `at` would go out (quiet hours). */
  async sendableAt(purpose: string, at: Date): Promise<Date> {
    return (this.quiet ? await this.quiet.holdUntil(purpose, at) : null) ?? at;
  }

  /** Replaces a clicked card's buttons with a text (response_code from the click, single use). */
  async updateCard(
    input: { key: string; touser: string; responseCode: string; replaceName: string; workOrderId?: number | null; contactId?: number | null },
    trx?: Knex.Transaction,
  ): Promise<void> {
    await this.outbox.enqueue(
      {
        channel: 'update_card',
        idempotencyKey: input.key,
        touser: input.touser,
        purpose: 'card_update',
        workOrderId: input.workOrderId ?? null,
        contactId: input.contactId ?? null,
        update: { response_code: input.responseCode, button: { replace_name: input.replaceName.slice(0, 20) } },
      },
      this.clock.now(),
      trx,
    );
  }
}
