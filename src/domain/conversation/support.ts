/**
 * What the conversation's use cases share: the actor (the sender and their contacts), replies to
 * the actor (idempotent per inbound message), the pending question's state, order lookups the
 * unit may act on, and dates in users' text. The use cases are replies.ts (the unit's side),
 * review.ts (the supervisor's decisions) and queries.ts (lists and details); buildConversation
 * (index.ts) builds them.
 */
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import { addDays, businessDate, formatInstantZh, parseIsoDate } from '../calendar/dates';
import { formatDueZh } from '../messages/due';
import type { ContactsService, Contact } from '../contacts/service';
import type { MessageTemplates, TemplateVars } from '../messages/templates';
import type { ReplyKind, WorkOrderState } from '../workorders/states';
import type { Messenger } from './messenger';
import type { ConversationStates, PendingFlow, PendingState } from './states';
import { stateLabel, type OrderView, type OrderViews } from './views';

export interface Actor {
  /** The WeCom user; '' for a console account without one (nothing is said back in chat then). */
  userid: string;
  contacts: Contact[];
  /** The inbound message being handled (idempotency of replies); 0 for a console request. */
  inboundId: number;
  /** A request from the console (the order page), its own idempotency key instead of an inbound message's. */
  requestId?: string;
  /** Who acted, when not the WeCom user themself (an admin replying on a unit's behalf). */
  name?: string;
}

/** What the actor's replies and card updates are keyed by: the inbound message, or the console request. */
export function actorKey(a: Actor): string {
  return a.requestId ? `web-${a.requestId}` : String(a.inboundId);
}

export type { ConsoleLinks } from '../messages/links';

export type { ReplyKind };

/** Looks at the site before the review card of a rectification goes out (bounded by its owner). */
export type ReviewCheck = (o: OrderView) => Promise<{ line: string } | null>;

/** What the use cases need of the understanding of free text (UnderstoodReplies in understood.ts). */
export interface FreeTextReader {
  /** The date a text asks for, in business time; null when none. */
  dateIn(text: string): Promise<string | null>;
  /** Free text from a unit contact with no pending question. */
  handle(a: Actor, text: string): Promise<void>;
  /** The answer to the understanding's own pending question. */
  answer(a: Actor, p: Extract<PendingState, { kind: 'understood' }>, text: string): Promise<boolean>;
}

const UNIT_ROLES = new Set(['primary', 'backup', 'leader']);

export class ConversationSupport {
  constructor(
    private readonly views: OrderViews,
    private readonly contacts: ContactsService,
    private readonly templates: MessageTemplates,
    private readonly messenger: Messenger,
    readonly states: ConversationStates,
    private readonly clock: Clock,
    private readonly zone: string,
  ) {}

  /** Free text understood as people write it (understood.ts); set by buildConversation. */
  understood: FreeTextReader | null = null;

  /** The date a text asks for: the understanding's reader (下周五, 3个工作日内…), else extractDate. */
  async dateIn(text: string): Promise<string | null> {
    return this.understood ? this.understood.dateIn(text) : extractDate(text, this.clock.now(), this.zone);
  }

  async actor(userid: string, inboundId: number): Promise<Actor> {
    return { userid, contacts: await this.contacts.byUserid(userid), inboundId };
  }

  unitIds(a: Actor): number[] {
    return [...new Set(a.contacts.filter((c) => UNIT_ROLES.has(c.role) && c.unitId !== null).map((c) => c.unitId!))];
  }

  isUnitContact(a: Actor): boolean {
    return this.unitIds(a).length > 0;
  }

  isReviewer(a: Actor): boolean {
    return a.contacts.some((c) => c.role === 'supervisor' || c.role === 'admin');
  }

  contactFor(a: Actor, unitId: number | null): Contact | null {
    return a.contacts.find((c) => c.unitId === unitId && UNIT_ROLES.has(c.role)) ?? a.contacts[0] ?? null;
  }

  actorName(a: Actor): string {
    return a.name ?? `wecom:${a.userid}`;
  }

  fmt(d: Date | null, provisional = false): string {
    return d ? formatDueZh(d, provisional, this.zone) : '待通知后确定';
  }

  /** Replies to the actor (idempotent per inbound message and tag). */
  async say(a: Actor, tag: string, key: string, vars: TemplateVars = {}, workOrderId: number | null = null, trx?: Knex.Transaction): Promise<void> {
    if (!a.userid) return; // a console account without a WeCom user: the console shows the outcome
    await this.messenger.send(
      {
        key: `reply:${actorKey(a)}:${tag}`,
        touser: a.userid,
        purpose: 'reply',
        workOrderId,
        contactId: a.contacts[0]?.id ?? null,
        message: await this.templates.render(key, vars),
      },
      trx,
    );
  }

  /** Updates the card the actor clicked (when the flow started from a click). */
  async markCard(a: Actor, responseCode: string | null | undefined, text: string, workOrderId: number | null, trx?: Knex.Transaction): Promise<void> {
    if (!responseCode || !a.userid) return;
    await this.messenger.updateCard(
      { key: `card:${actorKey(a)}:${responseCode.slice(0, 60)}`, touser: a.userid, responseCode, replaceName: text, workOrderId },
      trx,
    );
  }

  /** The order by code, checked to be one of the actor's units' (replies with the reason when not). */
  async unitOrder(a: Actor, code: string | number): Promise<OrderView | null> {
    const o = typeof code === 'number' ? await this.views.get(code) : await this.views.byCode(code);
    if (!o) {
      await this.say(a, 'r', 'error.no_order', { code: String(code) });
      return null;
    }
    if (o.unitId === null || !this.unitIds(a).includes(o.unitId)) {
      await this.say(a, 'r', 'error.not_yours', { code: o.code });
      return null;
    }
    return o;
  }

  async stateError(a: Actor, o: OrderView, action: string): Promise<void> {
    if (o.state === 'withdrawn') {
      const w = await this.views.withdrawal(o.id);
      const date = w ? formatInstantZh(w.at, this.zone) : '此前';
      await this.say(a, 'r', 'error.withdrawn', { code: o.code, date, reason: w?.reason || '未注明' }, o.id);
      return;
    }
    await this.say(a, 'r', 'error.state', { code: o.code, state: stateLabel(o), action }, o.id);
  }

  /** Open orders a unit contact's message could be about. */
  async openOrders(a: Actor, what: 'text' | 'image'): Promise<OrderView[]> {
    const states: WorkOrderState[] = what === 'text' ? ['notified'] : ['notified', 'replied'];
    return this.views.openForUnits(this.unitIds(a), states);
  }

  async sayText(a: Actor, text: string, workOrderId: number | null, trx?: Knex.Transaction, tag = 'r'): Promise<void> {
    if (!a.userid) return;
    await this.messenger.send(
      { key: `reply:${actorKey(a)}:${tag}`, touser: a.userid, purpose: 'reply', workOrderId, contactId: a.contacts[0]?.id ?? null, message: text },
      trx,
    );
  }


  /** A button asked for a reason: remember what for, and ask. */
  async ask(a: Actor, flow: PendingFlow, o: OrderView, responseCode: string | null, replyId?: number, what?: string): Promise<void> {
    await this.states.set(a.userid, { kind: 'reason', flow, workOrderId: o.id, replyId, responseCode }, this.clock.now());
    const key =
      flow === 'rectify' ? 'ask.rectify' : flow === 'extension' ? 'ask.extension' : flow === 'dispute' ? 'ask.dispute' : flow === 'reject' ? 'ask.reject_reason' : flow === 'refuse' ? 'ask.refuse_reason' : 'ask.ext_date';
    await this.say(a, 'r', key, { code: o.code, what: what ?? '', example_date: this.exampleDate() }, o.id);
  }

  /** A date in a user's text (下周五, 12月10日, 3个工作日内…), in business time. */
  parseDate(text: string): Promise<string | null> {
    return this.dateIn(text);
  }

  /** An example date a week ahead, as people write it: 12月9日. */
  exampleDate(): string {
    const [, m, d] = addDays(businessDate(this.clock.now(), this.zone), 7).split('-').map(Number);
    return `${m}月${d}日`;
  }
}


/** The first date in a text: 2026-12-01, 2026/12/1, 2026年12月1日, or 12月1日 (the next such date). */
export function extractDate(text: string, now: Date, zone: string): string | null {
  const today = businessDate(now, zone);
  const full = /(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})/.exec(text);
  const pad = (n: string) => n.padStart(2, '0');
  const tryDate = (y: string, m: string, d: string) => {
    try {
      return parseIsoDate(`${y}-${pad(m)}-${pad(d)}`);
    } catch {
      return null;
    }
  };
  if (full) return tryDate(full[1], full[2], full[3]);
  const short = /(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]/.exec(text);
  if (short) {
    const y = today.slice(0, 4);
    const d = tryDate(y, short[1], short[2]);
    if (d && d < today) return tryDate(String(Number(y) + 1), short[1], short[2]);
    return d;
  }
  return null;
}
