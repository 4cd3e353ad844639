/**
 * Free text from a unit contact, understood (src/domain/understanding) and acted on:
 *   done       → the rectification reply (to review) — only when sure and the order is known;
 *   extension  → an extension request (with the date asked for), dispute → a dispute;
 *   progress   → acknowledged, never sent to review; ack → a short answer, never taken as done;
 *   question   → forwarded to the order's reviewers; help / my_orders → the lists;
 *   unsure     → asked back (您是要：提交整改 / 申请延期 / 提出异议) with buttons;
 *   which order unclear → one card (or text) listing the candidates, each a button.
 * A wrong guess never sends an order to review: only `done` at ACT_THRESHOLD or above does, or
 * the user's own choice on the ask-back.
 */
import type { Clock } from '../../clock';
import type { CalendarService } from '../calendar/service';
import type { EventLog } from '../events/events';
import { buildCard, clip, taskId, type CardButton } from '../messages/cards';
import type { MessageTemplates } from '../messages/templates';
import { ACT_THRESHOLD, pickDate, understand, type Understanding, type WorkingDays } from '../understanding';
import type { ContactsService } from '../contacts/service';
import type { Messenger } from './messenger';
import { actorKey, type Actor, type ConversationSupport } from './support';
import type { ConversationReplies } from './replies';
import type { ConversationQueries } from './queries';
import type { PendingState } from './states';
import { stateLabel, type OrderView } from './views';

type Act = 'done' | 'extension' | 'dispute';
const ACT_KEYS: Record<Act, string> = { done: 'done', extension: 'ext', dispute: 'obj' };
const ACT_WORDS: Record<Act, string> = { done: '提交整改', extension: '申请延期', dispute: '提出异议' };
const ACTS: Act[] = ['done', 'extension', 'dispute'];
const MAX_CHOICES = 6;

/** Button keys of the ask-back and the candidate list: `ub:<done|ext|obj>:0`, `ub:pick:<order id>`. */
export const UNDERSTOOD_KEY = /^ub:(done|ext|obj|pick):(\d{1,12})$/;

export interface UnderstoodSettings {
  zone: string;
  /** Send template cards (false: numbered text). */
  cards: boolean;
}

export class UnderstoodReplies {
  constructor(
    private readonly s: ConversationSupport,
    private readonly replies: ConversationReplies,
    private readonly queries: ConversationQueries,
    private readonly calendar: CalendarService,
    private readonly contacts: ContactsService,
    private readonly templates: MessageTemplates,
    private readonly messenger: Messenger,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly settings: UnderstoodSettings,
  ) {}

  private async workingDays(): Promise<WorkingDays | null> {
    try {
      return await this.calendar.get();
    } catch {
      return null;
    }
  }

  /** The date a text asks for (申请延期到下周五), in business time; null when none. */
  async dateIn(text: string, at: Date = this.clock.now()): Promise<string | null> {
    return pickDate(text, { now: at, zone: this.settings.zone, calendar: await this.workingDays() })?.date ?? null;
  }

  /** What a text means, and which of these orders it is about. */
  async understand<T extends OrderView>(text: string, open: T[], at: Date = this.clock.now()): Promise<Understanding<T>> {
    return understand(text, { now: at, zone: this.settings.zone, calendar: await this.workingDays() }, open);
  }

  /** Free text from a unit contact (no pending question). */
  async handle(a: Actor, text: string): Promise<void> {
    const c = this.s;
    const open = await c.openOrders(a, 'text');
    const u = await this.understand(text, open);
    switch (u.intent) {
      case 'help':
        return this.queries.help(a);
      case 'my_orders':
        return this.queries.myOrders(a);
      case 'ack':
        return c.say(a, 'r', 'understood.ack');
      case 'progress':
        return this.progress(a, u);
      case 'question':
        return this.question(a, text, u.resolution.order ?? (u.resolution.candidates.length === 1 ? u.resolution.candidates[0] : null));
      case 'other':
        // A greeting or a word is not a reply to ask back about; a sentence may be.
        if (!open.length || [...text.trim()].length < 6) return c.say(a, 'r', 'understood.other');
        return this.askBack(a, text, u.resolution.candidates.map((o) => o.id));
      default: {
        const act = u.intent;
        if (!open.length) return c.say(a, 'r', 'error.no_open');
        if (u.confidence < ACT_THRESHOLD) return this.askBack(a, text, u.resolution.candidates.map((o) => o.id));
        if (u.resolution.order) return this.act(a, act, u.resolution.order, text);
        return this.choose(a, text, act, u.resolution.candidates);
      }
    }
  }

  private async act(a: Actor, act: Act, o: OrderView, text: string): Promise<void> {
    if (act === 'done') return this.replies.submitRectification(a, o, text);
    return this.replies.submitRequest(a, o, act, text);
  }

  private async progress(a: Actor, u: Understanding<OrderView>): Promise<void> {
    const o = u.resolution.order;
    if (!o) return this.s.say(a, 'r', 'understood.progress_plain');
    const until = u.until ? await this.templates.render('understood.progress_until', { date: zhDate(u.until) }) : '';
    await this.events.append({
      type: 'work_order.progress_reported',
      actor: `wecom:${a.userid}`,
      at: this.clock.now(),
      workOrderId: o.id,
      noticeId: o.noticeId,
      unitId: o.unitId,
      contactId: a.contacts[0]?.id ?? null,
      data: { until: u.until, inboundId: a.inboundId },
    });
    await this.s.say(a, 'r', 'understood.progress', { code: o.code, until }, o.id);
  }

  /** A question goes to the reviewers of the order it is about (or of the sender's units). */
  private async question(a: Actor, text: string, o: OrderView | null): Promise<void> {
    const units = o ? [o.unitId] : this.s.unitIds(a);
    const sent = new Set<string>();
    const name = a.contacts.find((x) => x.name)?.name ?? a.userid;
    for (const unitId of units) {
      for (const r of await this.contacts.reviewersOf(unitId)) {
        if (sent.has(r.userid)) continue;
        sent.add(r.userid);
        await this.messenger.send({
          key: `question:${a.inboundId}:${r.userid}`,
          touser: r.userid,
          purpose: 'review_update',
          workOrderId: o?.id ?? null,
          contactId: r.id,
          message: await this.templates.render('understood.question.reviewer', {
            unit: o?.unitName ?? '',
            name,
            code: o?.code ?? '（未指明）',
            text: clip(text, 500),
          }),
        });
      }
    }
    await this.s.say(a, 'r', sent.size ? 'understood.question' : 'understood.other', {}, o?.id ?? null);
  }

  /** 您是要：提交整改 / 申请延期 / 提出异议 (buttons, or numbered text). */
  private async askBack(a: Actor, text: string, options: number[]): Promise<void> {
    await this.s.states.set(a.userid, { kind: 'understood', text, intent: null, options }, this.clock.now());
    if (!this.settings.cards) return this.s.say(a, 'r', 'understood.ask');
    const buttons: CardButton[] = ACTS.map((x, i) => ({ text: ACT_WORDS[x], key: `ub:${ACT_KEYS[x]}:0`, style: i === 0 ? 1 : 2 }));
    await this.sendCard(a, {
      taskId: taskId('ub', a.inboundId, this.clock.now().getTime().toString(36)),
      title: await this.templates.render('understood.ask.title'),
      subtitle: `您的回复：${text}`,
      fields: [],
      buttons,
    }, null);
  }

  /** Several orders fit: list them (notice number, target, platform, problem), each a button. */
  private async choose(a: Actor, text: string, intent: Act, candidates: OrderView[]): Promise<void> {
    const list = candidates.slice(0, 30);
    await this.s.states.set(a.userid, { kind: 'understood', text, intent, options: list.map((o) => o.id) }, this.clock.now());
    const lines = list.map((o, i) => `${i + 1}. ${describe(o)}`).join('\n');
    const cards = this.settings.cards && list.length <= MAX_CHOICES;
    await this.s.say(a, 'r', 'understood.choose', {
      count: list.length,
      how: cards ? '点击下方卡片中的工单编号' : '回复序号（回复 0 取消）',
      lines,
    });
    if (!cards) return;
    await this.sendCard(a, {
      taskId: taskId('ubc', a.inboundId, this.clock.now().getTime().toString(36)),
      title: await this.templates.render('understood.choose.title'),
      subtitle: `您的回复：${text}`,
      fields: list.map((o, i) => ({ key: `工单${i + 1}`, value: `${o.code} ${o.target}` })),
      buttons: list.map((o) => ({ text: o.code, key: `ub:pick:${o.id}`, style: 1 as const })),
    }, null, 'c');
  }

  private async sendCard(a: Actor, spec: Parameters<typeof buildCard>[0], workOrderId: number | null, tag = 'card'): Promise<void> {
    await this.messenger.send({
      key: `reply:${actorKey(a)}:${tag}`,
      touser: a.userid,
      purpose: 'reply',
      workOrderId,
      contactId: a.contacts[0]?.id ?? null,
      message: buildCard(spec),
    });
  }

  /** A press on an ask-back or candidate button. */
  async button(a: Actor, key: string): Promise<void> {
    const m = UNDERSTOOD_KEY.exec(key);
    const p = await this.s.states.get(a.userid, this.clock.now());
    if (!m || !p || p.kind !== 'understood') return this.s.say(a, 'r', 'understood.expired');
    if (m[1] === 'pick') return this.picked(a, p, Number(m[2]));
    const act = ACTS.find((x) => ACT_KEYS[x] === m[1])!;
    return this.chosenIntent(a, p, act);
  }

  /** A typed answer while a reply waits: a number, or the words of an action. False: a new message. */
  async answer(a: Actor, p: Extract<PendingState, { kind: 'understood' }>, text: string): Promise<boolean> {
    const t = text.normalize('NFKC').trim();
    if (t === '0' || t === '取消') {
      await this.s.states.clear(a.userid);
      await this.s.say(a, 'r', 'choose.cancelled');
      return true;
    }
    if (p.intent === null) {
      const byWord = ACTS.find((x) => t.includes(ACT_WORDS[x]));
      const n = /^\d{1,2}$/.test(t) ? Number(t) : 0;
      const act = byWord ?? (n >= 1 && n <= ACTS.length ? ACTS[n - 1] : undefined);
      if (!act) {
        await this.s.states.clear(a.userid);
        return false;
      }
      await this.chosenIntent(a, p, act);
      return true;
    }
    if (!/^\d{1,3}$/.test(t)) {
      await this.s.states.clear(a.userid);
      return false;
    }
    const n = Number(t);
    if (n > p.options.length || n < 1) {
      await this.s.say(a, 'r', 'choose.invalid', { count: p.options.length });
      return true;
    }
    await this.picked(a, p, p.options[n - 1]);
    return true;
  }

  private async chosenIntent(a: Actor, p: Extract<PendingState, { kind: 'understood' }>, act: Act): Promise<void> {
    const open = (await this.s.openOrders(a, 'text')).filter((o) => !p.options.length || p.options.includes(o.id));
    if (!open.length) {
      await this.s.states.clear(a.userid);
      return this.s.say(a, 'r', 'error.no_open');
    }
    if (open.length === 1) {
      await this.s.states.clear(a.userid);
      return this.act(a, act, open[0], p.text);
    }
    return this.choose(a, p.text, act, open);
  }

  private async picked(a: Actor, p: Extract<PendingState, { kind: 'understood' }>, orderId: number): Promise<void> {
    const o = p.options.includes(orderId) ? await this.s.unitOrder(a, orderId) : null;
    if (!o) return this.s.say(a, 'r', 'understood.expired');
    if (p.intent === null) {
      await this.s.states.set(a.userid, { ...p, options: [o.id] }, this.clock.now());
      return this.askBack(a, p.text, [o.id]);
    }
    await this.s.states.clear(a.userid);
    return this.act(a, p.intent, o, p.text);
  }
}

/** One candidate as a list line: code, notice number, target (platform), problem, state. */
export function describe(o: OrderView): string {
  const problem = o.problems.map((p) => p.text).join('；');
  return `${o.code}｜${o.docNo}｜${o.target}${o.platform ? `（${o.platform}）` : ''}｜${problem || '—'}｜${stateLabel(o)}`;
}

function zhDate(d: string): string {
  const [y, m, day] = d.split('-').map(Number);
  return `${y}年${m}月${day}日`;
}
