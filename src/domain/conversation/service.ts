/**
 * The services behind the chat: a unit's rectification reply, extension request and dispute,
 * evidence screenshots, the supervisor's review, "my orders" and the supervisor's lists, and
 * the pending questions (which order? what reason?). Handlers call these; every message goes
 * through the Messenger, every state change through the work-order store (event log included).
 *
 * Idempotency: a reprocessed inbound message uses the same outbox keys (reply:<inbound id>:…),
 * and a transition already made is refused by the state machine, so it never acts twice.
 */
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import { addDays, businessDate, instantAt, parseIsoDate } from '../calendar/dates';
import { formatDueZh } from '../messages/due';
import type { ContactsService, Contact } from '../contacts/service';
import type { EventLog } from '../events/events';
import { reviewCard, taskId } from '../messages/cards';
import type { MessageTemplates, TemplateVars } from '../messages/templates';
import { REPLY_KIND_LABELS, STATE_LABELS, type ReplyKind, type WorkOrderState } from '../workorders/states';
import type { WorkOrderStore } from '../workorders/store';
import type { Messenger } from './messenger';
import type { NotificationService } from './notifications';
import type { ConversationStates, MediaRef, PendingFlow } from './states';
import { stateLabel, type OrderView, type OrderViews, type PendingReplyView } from './views';
import type { UnderstoodReplies } from './understood';
import { refreshCards } from './card-refresh';
import { enqueueReviewExtras, problemsText, reviewFullText } from './review-extras';

export interface Actor {
  userid: string;
  contacts: Contact[];
  /** The inbound message being handled (idempotency of replies). */
  inboundId: number;
}

/** Where users reach the console (PUBLIC_URL, or the simulator's own address); null: no links. */
export interface ConsoleLinks {
  consoleBase: string | null;
}

export type { ReplyKind };

/** Looks at the site before the review card of a rectification goes out (bounded by its owner). */
export type ReviewCheck = (o: OrderView) => Promise<{ line: string } | null>;

const UNIT_ROLES = new Set(['primary', 'backup', 'leader']);

export class ConversationService {
  constructor(
    private readonly db: Knex,
    private readonly views: OrderViews,
    private readonly contacts: ContactsService,
    private readonly templates: MessageTemplates,
    private readonly messenger: Messenger,
    private readonly workOrders: WorkOrderStore,
    readonly states: ConversationStates,
    private readonly notifications: NotificationService,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly zone: string,
    private readonly cutoff: string,
    private readonly links: ConsoleLinks = { consoleBase: null },
  ) {}

  /** Set by the composition root when automatic re-checks are on. */
  reviewCheck: ReviewCheck | null = null;

  /** Free text understood as people write it (see understood.ts); set by buildConversation. */
  private understood: UnderstoodReplies | null = null;
  useUnderstanding(u: UnderstoodReplies): void {
    this.understood = u;
  }
  understoodReplies(): UnderstoodReplies | null {
    return this.understood;
  }

  /** The date a text asks for: the understanding's reader (下周五, 3个工作日内…), else extractDate. */
  private async dateIn(text: string): Promise<string | null> {
    return this.understood ? this.understood.dateIn(text) : extractDate(text, this.clock.now(), this.zone);
  }

  // ------------------------------------------------------------------------------------ helpers

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

  private contactFor(a: Actor, unitId: number | null): Contact | null {
    return a.contacts.find((c) => c.unitId === unitId && UNIT_ROLES.has(c.role)) ?? a.contacts[0] ?? null;
  }

  private actorName(a: Actor): string {
    return `wecom:${a.userid}`;
  }

  private fmt(d: Date | null, provisional = false): string {
    return d ? formatDueZh(d, provisional, this.zone) : '待通知后确定';
  }

  /** Replies to the actor (idempotent per inbound message and tag). */
  async say(a: Actor, tag: string, key: string, vars: TemplateVars = {}, workOrderId: number | null = null, trx?: Knex.Transaction): Promise<void> {
    await this.messenger.send(
      {
        key: `reply:${a.inboundId}:${tag}`,
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
  private async markCard(a: Actor, responseCode: string | null | undefined, text: string, workOrderId: number | null, trx?: Knex.Transaction): Promise<void> {
    if (!responseCode) return;
    await this.messenger.updateCard(
      { key: `card:${a.inboundId}:${responseCode.slice(0, 60)}`, touser: a.userid, responseCode, replaceName: text, workOrderId },
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

  private async stateError(a: Actor, o: OrderView, action: string): Promise<void> {
    await this.say(a, 'r', 'error.state', { code: o.code, state: stateLabel(o), action }, o.id);
  }

  /** Open orders a unit contact's message could be about. */
  async openOrders(a: Actor, what: 'text' | 'image'): Promise<OrderView[]> {
    const states: WorkOrderState[] = what === 'text' ? ['notified'] : ['notified', 'replied'];
    return this.views.openForUnits(this.unitIds(a), states);
  }

  // ------------------------------------------------------------------------------- unit: replies

  /** 已整改: the rectification reply; pending screenshots go with it; the reviewers get a card. */
  async submitRectification(a: Actor, o: OrderView, text: string, responseCode?: string | null): Promise<void> {
    if (o.state !== 'notified') return this.stateError(a, o, '提交整改反馈');
    const now = this.clock.now();
    const late = o.dueAt !== null && now.getTime() > o.dueAt.getTime();
    const contact = this.contactFor(a, o.unitId);
    // Everything rendered and looked up before the transaction (SQLite has one connection).
    const ok = await this.templates.render('reply.submitted', { code: o.code, late: late ? await this.templates.render('reply.late') : '' });
    const review = { ...(await this.prepareReview(o, 'rectified', text)), recheck: this.reviewCheck ? await this.reviewCheck(o) : null };
    await this.db.transaction(async (trx) => {
      const id = await this.insertReply(trx, a, o, 'rectified', text, late, null, contact);
      await trx('evidence').where({ work_order_id: o.id }).whereNull('reply_id').update({ reply_id: id });
      await this.workOrders.transition(o.id, 'reply', {
        actor: this.actorName(a),
        at: now,
        contactId: contact?.id ?? null,
        trx,
        data: { replyId: id, late, inboundId: a.inboundId },
      });
      await this.states.clear(a.userid, trx);
      await this.sayText(a, ok, o.id, trx);
      await this.markCard(a, responseCode, '已提交整改反馈', o.id, trx);
      await refreshCards(this.messenger, trx, { workOrderId: o.id, kind: 'notify', label: '已提交整改，待审核', exceptUserid: responseCode ? a.userid : null });
      await this.enqueueReview(review, id, { kind: 'rectified', text, late, requestedDueOn: null, createdAt: now }, trx);
    });
  }

  /** 申请延期 / 有异议: a request to the reviewers; the order keeps its state meanwhile. */
  async submitRequest(a: Actor, o: OrderView, kind: 'extension' | 'dispute', text: string, responseCode?: string | null): Promise<void> {
    if (o.state !== 'notified') return this.stateError(a, o, kind === 'extension' ? '申请延期' : '提出异议');
    const open = await this.db('replies').where({ work_order_id: o.id, kind, review_state: 'pending' }).first('id');
    if (open) {
      await this.states.clear(a.userid);
      await this.say(a, 'r', 'error.state', { code: o.code, state: `${REPLY_KIND_LABELS[kind]}待审核`, action: `再次${kind === 'extension' ? '申请延期' : '提出异议'}` }, o.id);
      return;
    }
    const now = this.clock.now();
    const contact = this.contactFor(a, o.unitId);
    const requested = kind === 'extension' ? await this.dateIn(text) : null;
    const late = o.dueAt !== null && now > o.dueAt;
    const ok = await this.templates.render(kind === 'extension' ? 'extension.submitted' : 'dispute.submitted', { code: o.code });
    const review = await this.prepareReview(o, kind, text);
    await this.db.transaction(async (trx) => {
      const id = await this.insertReply(trx, a, o, kind, text, late, requested, contact);
      await this.events.append(
        {
          type: kind === 'extension' ? 'work_order.extension_requested' : 'work_order.disputed',
          actor: this.actorName(a),
          at: now,
          workOrderId: o.id,
          noticeId: o.noticeId,
          unitId: o.unitId,
          contactId: contact?.id ?? null,
          data: { replyId: id, text, requestedDueOn: requested, inboundId: a.inboundId },
        },
        trx,
      );
      await this.states.clear(a.userid, trx);
      await this.sayText(a, ok, o.id, trx);
      await this.markCard(a, responseCode, kind === 'extension' ? '已申请延期' : '已提出异议', o.id, trx);
      await this.enqueueReview(review, id, { kind, text, late, requestedDueOn: requested, createdAt: now }, trx);
    });
  }

  private async sayText(a: Actor, text: string, workOrderId: number | null, trx?: Knex.Transaction, tag = 'r'): Promise<void> {
    await this.messenger.send(
      { key: `reply:${a.inboundId}:${tag}`, touser: a.userid, purpose: 'reply', workOrderId, contactId: a.contacts[0]?.id ?? null, message: text },
      trx,
    );
  }

  /** Who gets the review card and its title: looked up before the transaction. */
  private async prepareReview(o: OrderView, kind: ReplyKind, text?: string) {
    return {
      o,
      reviewers: await this.contacts.reviewersOf(o.unitId),
      title: await this.templates.render(`review.title.${kind}`, { code: o.code }),
      full: await reviewFullText(this.templates, o, text),
    };
  }

  private async enqueueReview(
    prep: { o: OrderView; reviewers: Contact[]; title: string; full: string | null; recheck?: { line: string } | null },
    replyId: number,
    r: { kind: ReplyKind; text: string; late: boolean; requestedDueOn: string | null; createdAt: Date },
    trx: Knex.Transaction,
  ): Promise<void> {
    const { o } = prep;
    const [{ n }] = await trx('evidence').where({ work_order_id: o.id, reply_id: replyId, kind: 'image' }).count({ n: '*' });
    for (const rv of prep.reviewers) {
      const key = `review:${replyId}:${rv.userid}`;
      const tid = taskId(`rv${replyId}`, `c${rv.id}`, this.clock.now().getTime().toString(36));
      const sent = await this.messenger.send(
        {
          key,
          touser: rv.userid,
          purpose: 'review_card',
          workOrderId: o.id,
          contactId: rv.id,
          message: reviewCard({
            taskId: tid,
            replyId,
            kind: r.kind,
            title: prep.title,
            unit: o.unitName ?? '',
            target: o.target,
            problems: problemsText(o),
            text: r.text,
            evidenceCount: Number(n),
            submittedAt: this.fmt(r.createdAt),
            due: this.fmt(o.dueAt, o.dueProvisional),
            requestedDueOn: r.requestedDueOn,
            late: r.late,
            detailUrl: this.links.consoleBase ? `${this.links.consoleBase}/admin/#/work-orders/${o.id}` : null,
            recheck: prep.recheck?.line ?? null,
          }),
        },
        trx,
      );
      if (sent.created) {
        await trx('cards').insert({
          task_id: tid,
          kind: 'review',
          work_order_id: o.id,
          reply_id: replyId,
          contact_id: rv.id,
          userid: rv.userid,
          round: 0,
          outbox_key: key,
          created_at: this.clock.now().getTime(),
        });
        // The screenshots themselves, and what the card cuts, go with it.
        await enqueueReviewExtras(this.messenger, trx, { replyId, workOrderId: o.id, userid: rv.userid, contactId: rv.id, full: prep.full });
      }
    }
  }

  private async insertReply(
    trx: Knex.Transaction,
    a: Actor,
    o: OrderView,
    kind: ReplyKind,
    text: string,
    late: boolean,
    requestedDueOn: string | null,
    contact: Contact | null,
  ): Promise<number> {
    const [row] = await trx('replies')
      .insert({
        work_order_id: o.id,
        contact_id: contact?.id ?? null,
        kind,
        text: text.slice(0, 4000),
        late,
        review_state: 'pending',
        requested_due_on: requestedDueOn,
        created_at: this.clock.now().getTime(),
      })
      .returning('id');
    const id = Number(typeof row === 'object' ? row.id : row);
    await trx('reply_sources').insert({ reply_id: id, inbound_id: a.inboundId, userid: a.userid });
    return id;
  }

  /** A screenshot: kept as evidence of the order (with its pending reply when one waits for review). */
  async addEvidence(a: Actor, o: OrderView, media: MediaRef[]): Promise<void> {
    if (o.state !== 'notified' && o.state !== 'replied') return this.stateError(a, o, '补充整改材料');
    const pending =
      o.state === 'replied'
        ? await this.db('replies').where({ work_order_id: o.id, kind: 'rectified', review_state: 'pending' }).orderBy('id', 'desc').first('id')
        : null;
    const replyId = pending ? Number(pending.id) : null;
    const now = this.clock.now();
    let added = 0;
    await this.db.transaction(async (trx) => {
      for (const m of media) {
        const known = await trx('evidence').where({ work_order_id: o.id, media_id: m.mediaId }).first('id');
        if (known) continue;
        await trx('evidence').insert({
          reply_id: replyId,
          work_order_id: o.id,
          kind: 'image',
          media_id: m.mediaId,
          storage_path: m.storagePath,
          mime: m.mime,
          size: m.size,
          sha256: m.sha256,
          created_at: now.getTime(),
        });
        added++;
      }
      if (added) {
        await this.events.append(
          {
            type: 'work_order.evidence_added',
            actor: this.actorName(a),
            at: now,
            workOrderId: o.id,
            noticeId: o.noticeId,
            unitId: o.unitId,
            contactId: this.contactFor(a, o.unitId)?.id ?? null,
            data: { replyId, media: media.map((m) => m.mediaId), inboundId: a.inboundId },
          },
          trx,
        );
      }
    });
    const count = await this.views.evidenceCount(o.id, replyId);
    await this.say(a, 'r', 'evidence.saved', {
      code: o.code,
      count,
      next: await this.templates.render(replyId ? 'evidence.next_forwarded' : 'evidence.next_submit', { code: o.code }),
    }, o.id);
    if (replyId && added) {
      for (const r of await this.contacts.reviewersOf(o.unitId)) {
        await this.messenger.send({
          key: `evidence:${a.inboundId}:${r.userid}`,
          touser: r.userid,
          purpose: 'review_update',
          workOrderId: o.id,
          contactId: r.id,
          message: await this.templates.render('review.evidence_added', { code: o.code, unit: o.unitName ?? '', count }),
        });
      }
    }
  }

  /** Free text from a unit contact: the rectification reply of its one open order, or a numbered choice. */
  async freeText(a: Actor, text: string): Promise<void> {
    if (this.understood) return this.understood.handle(a, text);
    const open = await this.openOrders(a, 'text');
    if (open.length === 0) return this.say(a, 'r', 'error.no_open');
    if (open.length === 1) return this.submitRectification(a, open[0], text);
    await this.states.set(a.userid, { kind: 'choose_order', what: 'text', options: open.map((o) => o.id), text }, this.clock.now());
    await this.askChoice(a, open, '整改说明');
  }

  /** A screenshot from a unit contact: evidence of its one open order, or a numbered choice. */
  async image(a: Actor, media: MediaRef): Promise<void> {
    const pending = await this.states.get(a.userid, this.clock.now());
    if (pending?.kind === 'reason' && pending.flow === 'rectify') {
      const o = await this.views.get(pending.workOrderId);
      if (o) return this.addEvidence(a, o, [media]);
    }
    if (pending?.kind === 'choose_order' && pending.what === 'image') {
      // Several screenshots before the answer: all wait for it.
      await this.states.set(a.userid, { ...pending, media: [...(pending.media ?? []), media] }, this.clock.now());
      return;
    }
    const open = await this.openOrders(a, 'image');
    if (open.length === 0) return this.say(a, 'r', 'error.no_open');
    if (open.length === 1) return this.addEvidence(a, open[0], [media]);
    await this.states.set(a.userid, { kind: 'choose_order', what: 'image', options: open.map((o) => o.id), media: [media] }, this.clock.now());
    await this.askChoice(a, open, '截图');
  }

  private async askChoice(a: Actor, open: OrderView[], what: string): Promise<void> {
    const options = open.map((o, i) => `${i + 1}. ${o.code} ${o.docNo} ${o.target}：${stateLabel(o)}`).join('\n');
    await this.say(a, 'r', 'choose.order', { count: open.length, what, options });
  }

  /** The answer to a pending question; false when there is none (the text is a new message). */
  async answerPending(a: Actor, text: string): Promise<boolean> {
    const p = await this.states.get(a.userid, this.clock.now());
    if (!p) return false;
    const t = text.trim();
    if (p.kind === 'understood') {
      if (this.understood) return this.understood.answer(a, p, t);
      await this.states.clear(a.userid);
      return false;
    }
    if (p.kind === 'choose_order') {
      if (!/^\d{1,3}$/.test(t)) {
        // Not a number: the question is dropped and the text is a new message.
        await this.states.clear(a.userid);
        return false;
      }
      const n = Number(t);
      if (n === 0) {
        await this.states.clear(a.userid);
        await this.say(a, 'r', 'choose.cancelled');
        return true;
      }
      if (n > p.options.length) {
        await this.say(a, 'r', 'choose.invalid', { count: p.options.length });
        return true;
      }
      await this.states.clear(a.userid);
      const o = await this.views.get(p.options[n - 1]);
      if (!o) return true;
      if (p.what === 'text') await this.submitRectification(a, o, p.text ?? '');
      else await this.addEvidence(a, o, p.media ?? []);
      return true;
    }
    if (t === '取消') {
      await this.states.clear(a.userid);
      await this.say(a, 'r', 'choose.cancelled');
      return true;
    }
    const o = await this.views.get(p.workOrderId);
    if (!o) {
      await this.states.clear(a.userid);
      return false;
    }
    await this.continueFlow(a, p.flow, o, t, p.replyId ?? null, p.responseCode ?? null);
    return true;
  }

  private async continueFlow(a: Actor, flow: PendingFlow, o: OrderView, text: string, replyId: number | null, responseCode: string | null): Promise<void> {
    switch (flow) {
      case 'rectify':
        return this.submitRectification(a, o, text, responseCode);
      case 'extension':
      case 'dispute':
        return this.submitRequest(a, o, flow, text, responseCode);
      case 'reject':
      case 'refuse':
        return this.review(a, replyId!, 'no', { reason: text, responseCode });
      case 'ext_date': {
        const date = await this.dateIn(text);
        if (!date) return this.say(a, 'r', 'error.bad_date', { example_date: this.exampleDate() });
        return this.review(a, replyId!, 'ok', { date, responseCode });
      }
    }
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

  // ---------------------------------------------------------------------------------- review

  /** The latest pending reply of an order, of one kind (or any). */
  async pendingReplyOf(workOrderId: number, kind?: ReplyKind): Promise<PendingReplyView | null> {
    const all = (await this.views.pendingReplies(null)).filter((p) => p.order.id === workOrderId && (!kind || p.kind === kind));
    return all.at(-1) ?? null;
  }

  /** 通过 / 退回, 同意延期 / 不同意, 异议成立 / 不成立. */
  async review(
    a: Actor,
    replyId: number,
    decision: 'ok' | 'no',
    opts: { reason?: string; date?: string; responseCode?: string | null; fromClick?: boolean } = {},
  ): Promise<void> {
    const row = await this.db('replies').where({ id: replyId }).first();
    if (!row) return this.say(a, 'r', 'error.no_order', { code: `#${replyId}` });
    const o = (await this.views.get(Number(row.work_order_id)))!;
    if (!(await this.contacts.canReview(a.contacts, o.unitId)) && !(await this.isFallbackReviewer(a, o))) {
      return this.say(a, 'r', 'error.not_reviewer', { code: o.code }, o.id);
    }
    const kind = row.kind as ReplyKind;
    const what = REPLY_KIND_LABELS[kind];
    if (row.review_state !== 'pending') {
      const result = row.review_state === 'accepted' ? '已通过' : '未通过';
      await this.states.clear(a.userid);
      await this.markCard(a, opts.responseCode, `已处理：${result}`, o.id);
      return this.say(a, 'r', 'review.already', { code: o.code, what, result }, o.id);
    }
    // 退回 / 不同意 need a reason; 同意延期 needs a date: ask for it (a click) or explain (a command).
    if (decision === 'no' && !opts.reason) {
      if (opts.fromClick) return this.ask(a, kind === 'rectified' ? 'reject' : 'refuse', o, opts.responseCode ?? null, replyId, what);
      return this.say(a, 'r', 'error.usage', { usage: kind === 'rectified' ? `退回 ${o.code} 理由` : `不同意 ${o.code} 理由` }, o.id);
    }
    let date = opts.date ?? null;
    if (kind === 'extension' && decision === 'ok') {
      date ??= row.requested_due_on ?? null;
      if (!date) {
        // No date asked for and none given: ask plainly (a click or a command alike).
        return this.ask(a, 'ext_date', o, opts.responseCode ?? null, replyId);
      }
      if (date <= businessDate(this.clock.now(), this.zone)) return this.say(a, 'r', 'error.bad_date', { example_date: this.exampleDate() }, o.id);
    }
    const now = this.clock.now();
    const reviewer = a.contacts.find((c) => c.role === 'supervisor' || c.role === 'admin') ?? a.contacts[0];
    // Decide and render everything first; the transaction only writes.
    let result: string;
    let unitKey: string | null;
    let unitVars: TemplateVars = { code: o.code };
    let due: Date | null = null;
    if (kind === 'rectified') {
      result = decision === 'ok' ? '审核通过' : '已退回';
      unitKey = decision === 'ok' ? 'review.accepted.unit' : null; // a rejection goes back as a notice card
    } else if (kind === 'extension') {
      if (decision === 'ok') due = instantAt(date!, this.cutoff, this.zone);
      result = decision === 'ok' ? `同意延期至 ${date}` : '不同意延期';
      unitKey = decision === 'ok' ? 'extension.approved.unit' : 'extension.refused.unit';
      unitVars = { code: o.code, due: due ? this.fmt(due) : this.fmt(o.dueAt, o.dueProvisional), reason: opts.reason };
    } else {
      result = decision === 'ok' ? '异议成立，工单撤销' : '异议不成立';
      unitKey = decision === 'ok' ? 'dispute.upheld.unit' : 'dispute.refused.unit';
      unitVars = { code: o.code, due: this.fmt(o.dueAt, o.dueProvisional), reason: opts.reason };
    }
    const unitText = unitKey ? await this.templates.render(unitKey, unitVars) : null;
    const doneText = await this.templates.render('review.done', { code: o.code, result });
    const to = new Map<string, number | null>();
    if (row.contact_id) {
      const c = await this.contacts.get(Number(row.contact_id));
      if (c?.active) to.set(c.userid, c.id);
    }
    if (o.unitId !== null) for (const c of await this.contacts.primaries(o.unitId)) if (!to.has(c.userid)) to.set(c.userid, c.id);
    const renotice =
      kind === 'rectified' && decision === 'no'
        ? await this.notifications.prepareNotice(o.id, { asRejected: { reason: opts.reason ?? null, round: (await this.notifications.round(o.id)) + 1 } })
        : null;
    const closes = (kind === 'rectified' && decision === 'ok') || (kind === 'dispute' && decision === 'ok');

    await this.db.transaction(async (trx) => {
      const n = await trx('replies')
        .where({ id: replyId, review_state: 'pending' })
        .update({
          review_state: decision === 'ok' ? 'accepted' : 'rejected',
          reviewed_by_contact_id: reviewer?.id ?? null,
          reviewed_by: this.actorName(a),
          reviewed_at: now.getTime(),
          review_comment: opts.reason ?? (date ? `延至 ${date}` : null),
        });
      if (n !== 1) throw new Error('reply reviewed concurrently');
      const base = { actor: this.actorName(a), at: now, contactId: reviewer?.id ?? null, trx };
      const event = (type: string) =>
        this.events.append({ type, actor: base.actor, at: now, workOrderId: o.id, noticeId: o.noticeId, unitId: o.unitId, contactId: base.contactId, data: { replyId, reason: opts.reason } }, trx);
      if (kind === 'rectified') {
        await this.workOrders.transition(o.id, decision === 'ok' ? 'accept' : 'reject', { ...base, data: { replyId, reason: opts.reason ?? null } });
      } else if (kind === 'extension') {
        if (decision === 'ok') await this.setDue(trx, o, due!, a, { replyId, date });
        else await event('work_order.extension_refused');
      } else if (decision === 'ok') {
        await this.workOrders.transition(o.id, 'supersede', { ...base, data: { replyId, reason: 'dispute_upheld' } });
      } else {
        await event('work_order.dispute_refused');
      }
      if (closes) {
        // Other requests of a closed order are moot.
        await trx('replies')
          .where({ work_order_id: o.id, review_state: 'pending' })
          .update({ review_state: 'rejected', review_comment: '工单已关闭', reviewed_at: now.getTime(), reviewed_by: 'system' });
      }
      await this.states.clear(a.userid, trx);
      await this.markCard(a, opts.responseCode, result, o.id, trx);
      // Earlier cards go stale: other reviewers' cards of this reply, and the unit's cards when the order moved.
      await refreshCards(this.messenger, trx, { workOrderId: o.id, kind: 'review', replyId, label: `已处理：${result}`, exceptUserid: opts.responseCode ? a.userid : null });
      const unitLabel = kind === 'rectified' ? (decision === 'ok' ? '已办结' : '已退回重办') : kind === 'dispute' && decision === 'ok' ? '已撤销' : null;
      if (unitLabel) await refreshCards(this.messenger, trx, { workOrderId: o.id, kind: 'notify', label: unitLabel });
      await this.sayText(a, doneText, o.id, trx);
      if (unitText) {
        for (const [userid, contactId] of to) {
          await this.messenger.send({ key: `review_result:${replyId}:${userid}`, touser: userid, purpose: 'review_result', workOrderId: o.id, contactId, message: unitText }, trx);
        }
      }
      if (renotice && typeof renotice !== 'string') await this.notifications.enqueueNotice(renotice, trx);
    });
    if (renotice === 'no_contact') await this.notifications.notifyPending();
  }

  /** Admins review any order (the reviewers of units without supervisors). */
  private async isFallbackReviewer(a: Actor, _o: OrderView): Promise<boolean> {
    return a.contacts.some((c) => c.role === 'admin');
  }

  private async setDue(trx: Knex.Transaction, o: OrderView, due: Date, a: Actor, data: Record<string, unknown>): Promise<void> {
    await this.workOrders.changeDue(o.id, due, { actor: this.actorName(a), at: this.clock.now(), data, trx });
  }

  /** The order a supervisor names by code, with the pending reply of the kind the command is about. */
  async reviewByCode(a: Actor, code: string, kind: ReplyKind, decision: 'ok' | 'no', opts: { reason?: string; date?: string }): Promise<void> {
    if (!this.isReviewer(a)) return this.say(a, 'r', 'error.not_supervisor');
    const o = await this.views.byCode(code);
    if (!o) return this.say(a, 'r', 'error.no_order', { code });
    const p = await this.pendingReplyOf(o.id, kind);
    if (!p) return this.say(a, 'r', 'error.nothing_pending', { code: o.code, what: REPLY_KIND_LABELS[kind] }, o.id);
    return this.review(a, p.replyId, decision, opts);
  }

  // ---------------------------------------------------------------------------------- queries

  async help(a: Actor): Promise<void> {
    if (this.isReviewer(a) && this.isUnitContact(a)) {
      await this.say(a, 'r', 'help.unit');
      await this.say(a, 'help2', 'help.supervisor');
    } else await this.say(a, 'r', this.isReviewer(a) ? 'help.supervisor' : 'help.unit');
  }

  private line(o: OrderView): string {
    const due = o.dueAt && ['notified', 'rejected', 'replied'].includes(o.state) ? `，期限 ${this.fmt(o.dueAt, o.dueProvisional)}` : '';
    return `${o.code} ${o.target}${o.platform ? `（${o.platform}）` : ''}：${stateLabel(o)}${due}`;
  }

  async myOrders(a: Actor): Promise<void> {
    const orders = await this.views.forUnits(this.unitIds(a));
    if (!orders.length) {
      if (this.isReviewer(a)) return this.pendingList(a);
      return this.say(a, 'r', 'orders.none');
    }
    await this.say(a, 'r', 'orders.list', { count: orders.length, lines: orders.map((o) => this.line(o)).join('\n') });
  }

  async detail(a: Actor, code: string | number, tag = 'r'): Promise<void> {
    const o = typeof code === 'number' ? await this.views.get(code) : await this.views.byCode(code);
    if (!o) return this.say(a, 'r', 'error.no_order', { code: String(code) });
    const mine = o.unitId !== null && this.unitIds(a).includes(o.unitId);
    if (!mine && !(await this.contacts.canReview(a.contacts, o.unitId))) return this.say(a, 'r', 'error.not_yours', { code: o.code }, o.id);
    const history = await this.views.history(o.id, this.zone);
    await this.say(a, tag, 'order.detail', {
      code: o.code,
      notice_title: o.noticeTitle,
      doc_no: o.docNo,
      unit: o.unitName ?? '—',
      target: o.target,
      platform: o.platform ?? '—',
      problems: o.problems.map((p, i) => `${i + 1}. ${p.text}`).join('；'),
      state: stateLabel(o),
      due: this.fmt(o.dueAt, o.dueProvisional),
      history: history.length ? `\n办理记录：\n${history.join('\n')}` : '',
    }, o.id);
  }

  private async scope(a: Actor): Promise<number[] | null> {
    if (a.contacts.some((c) => c.role === 'admin')) return null;
    return this.contacts.supervisedUnitIds(a.contacts);
  }

  async pendingList(a: Actor): Promise<void> {
    if (!this.isReviewer(a)) return this.say(a, 'r', 'error.not_supervisor');
    const items = await this.views.pendingReplies(await this.scope(a));
    if (!items.length) return this.say(a, 'r', 'supervisor.pending_none');
    const lines = items.map(
      (p, i) => `${i + 1}. ${p.order.code} ${p.order.unitName ?? ''} ${REPLY_KIND_LABELS[p.kind]}${p.late ? '（逾期）' : ''}：${(p.text ?? '').slice(0, 40)}`,
    );
    await this.say(a, 'r', 'supervisor.pending', { count: items.length, lines: lines.join('\n') });
  }

  async overdueList(a: Actor): Promise<void> {
    if (!this.isReviewer(a)) return this.say(a, 'r', 'error.not_supervisor');
    const items = await this.views.overdue(await this.scope(a), this.clock.now());
    if (!items.length) return this.say(a, 'r', 'supervisor.overdue_none');
    const lines = items.map((o, i) => `${i + 1}. ${o.code} ${o.unitName ?? ''} ${o.target}：${STATE_LABELS[o.state]}，期限 ${this.fmt(o.dueAt, o.dueProvisional)}`);
    await this.say(a, 'r', 'supervisor.overdue', { count: items.length, lines: lines.join('\n') });
  }

  // ---------------------------------------------------------------------------------- unbound

  async unbound(a: Actor, text: string | null): Promise<void> {
    const { userid, inboundId } = a;
    await this.messenger.send({
      key: `reply:${inboundId}:unbound`,
      touser: userid,
      purpose: 'reply',
      message: await this.templates.render('unbound.reply', { userid }),
    });
    const message = await this.templates.render('admin.unbound', { userid, text: (text ?? '').slice(0, 100) || '（非文字消息）' });
    for (const admin of await this.contacts.admins()) {
      // Once per unknown userid and day.
      await this.messenger.send({
        key: `admin:unbound:${userid}:${businessDate(this.clock.now(), this.zone)}:${admin.userid}`,
        touser: admin.userid,
        purpose: 'admin_notice',
        contactId: admin.id,
        message,
      });
    }
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
