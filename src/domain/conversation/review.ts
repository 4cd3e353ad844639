/** The supervisor's decisions: 通过 / 退回, 同意延期 / 不同意, 异议成立 / 不成立 (card buttons and commands). */
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import { businessDate, instantAt } from '../calendar/dates';
import type { ContactsService } from '../contacts/service';
import type { EventLog } from '../events/events';
import type { MessageTemplates, TemplateVars } from '../messages/templates';
import { REPLY_KIND_LABELS, type ReplyKind } from '../workorders/states';
import type { WorkOrderStore } from '../workorders/store';
import { WorkOrderActionError } from '../workorders/actions';
import type { Messenger } from './messenger';
import type { NotificationService } from './notifications';
import type { OrderView, OrderViews, PendingReplyView } from './views';
import { refreshCards } from './card-refresh';
import type { ConversationParts } from './parts';
import type { Actor, ConversationSupport } from './support';

const REVIEWED_CONCURRENTLY = 'reply reviewed concurrently';

export class ConversationReview {
  private readonly db: Knex;
  private readonly views: OrderViews;
  private readonly contacts: ContactsService;
  private readonly templates: MessageTemplates;
  private readonly messenger: Messenger;
  private readonly workOrders: WorkOrderStore;
  private readonly notifications: NotificationService;
  private readonly events: EventLog;
  private readonly clock: Clock;
  private readonly zone: string;
  private readonly cutoff: string;

  constructor(
    private readonly s: ConversationSupport,
    p: ConversationParts,
  ) {
    ({ db: this.db, views: this.views, contacts: this.contacts, templates: this.templates, messenger: this.messenger, workOrders: this.workOrders, notifications: this.notifications, events: this.events, clock: this.clock, zone: this.zone, cutoff: this.cutoff } = p);
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
    opts: { reason?: string; date?: string; responseCode?: string | null; fromClick?: boolean; authorized?: boolean } = {},
  ): Promise<void> {
    const row = await this.db('replies').where({ id: replyId }).first();
    if (!row) return this.s.say(a, 'r', 'error.no_order', { code: `#${replyId}` });
    const o = (await this.views.get(Number(row.work_order_id)))!;
    if (!opts.authorized && !(await this.contacts.canReview(a.contacts, o.unitId)) && !(await this.isFallbackReviewer(a, o))) {
      return this.s.say(a, 'r', 'error.not_reviewer', { code: o.code }, o.id);
    }
    const kind = row.kind as ReplyKind;
    const what = REPLY_KIND_LABELS[kind];
    if (row.review_state !== 'pending') {
      const result = row.review_state === 'accepted' ? '已通过' : '未通过';
      await this.s.states.clear(a.userid);
      await this.s.markCard(a, opts.responseCode, `已处理：${result}`, o.id);
      return this.s.say(a, 'r', 'review.already', { code: o.code, what, result }, o.id);
    }
    // 退回 / 不同意 need a reason; 同意延期 needs a date: ask for it (a click) or explain (a command).
    if (decision === 'no' && !opts.reason) {
      if (opts.fromClick) return this.s.ask(a, kind === 'rectified' ? 'reject' : 'refuse', o, opts.responseCode ?? null, replyId, what);
      return this.s.say(a, 'r', 'error.usage', { usage: kind === 'rectified' ? `退回 ${o.code} 理由` : `不同意 ${o.code} 理由` }, o.id);
    }
    let date = opts.date ?? null;
    if (kind === 'extension' && decision === 'ok') {
      date ??= row.requested_due_on ?? null;
      if (!date) {
        // No date asked for and none given: ask plainly (a click or a command alike).
        return this.s.ask(a, 'ext_date', o, opts.responseCode ?? null, replyId);
      }
      if (date <= businessDate(this.clock.now(), this.zone)) return this.s.say(a, 'r', 'error.bad_date', { example_date: this.s.exampleDate() }, o.id);
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
      unitVars = { code: o.code, due: due ? this.s.fmt(due) : this.s.fmt(o.dueAt, o.dueProvisional), reason: opts.reason };
    } else {
      result = decision === 'ok' ? '异议成立，工单撤销' : '异议不成立';
      unitKey = decision === 'ok' ? 'dispute.upheld.unit' : 'dispute.refused.unit';
      unitVars = { code: o.code, due: this.s.fmt(o.dueAt, o.dueProvisional), reason: opts.reason };
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
          reviewed_by: this.s.actorName(a),
          reviewed_at: now.getTime(),
          review_comment: opts.reason ?? (date ? `延至 ${date}` : null),
        });
      if (n !== 1) throw new Error(REVIEWED_CONCURRENTLY);
      const base = { actor: this.s.actorName(a), at: now, contactId: reviewer?.id ?? null, trx };
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
      await this.s.states.clear(a.userid, trx);
      await this.s.markCard(a, opts.responseCode, result, o.id, trx);
      // Earlier cards go stale: other reviewers' cards of this reply, and the unit's cards when the order moved.
      await refreshCards(this.messenger, trx, { workOrderId: o.id, kind: 'review', replyId, label: `已处理：${result}`, exceptUserid: opts.responseCode ? a.userid : null });
      const unitLabel = kind === 'rectified' ? (decision === 'ok' ? '已办结' : '已退回重办') : kind === 'dispute' && decision === 'ok' ? '已撤销' : null;
      if (unitLabel) await refreshCards(this.messenger, trx, { workOrderId: o.id, kind: 'notify', label: unitLabel });
      await this.s.sayText(a, doneText, o.id, trx);
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
  /**
   * 通过 / 退回 from the console's order page: the same decision as in chat (the unit is told,
   * cards are refreshed, a rejected order goes back to the unit as a notice), for a reviewer the
   * caller has already checked to have the order in scope. A reviewer signed in from WeCom is
   * answered in WeCom too; a password account is not (it has no WeCom user). Refusals throw
   * WorkOrderActionError with a message for the user.
   */
  async reviewFromConsole(
    by: { userid: string | null; actor: string; requestId: string },
    replyId: number,
    decision: 'accept' | 'reject',
    comment?: string,
  ): Promise<void> {
    const row = await this.db('replies').where({ id: replyId }).first();
    if (!row) throw new WorkOrderActionError('整改反馈不存在', 'not_found');
    if (row.review_state !== 'pending') throw new WorkOrderActionError('该反馈已审核过', 'conflict');
    if (decision === 'reject' && !comment) throw new WorkOrderActionError('退回时请填写退回原因');
    const kind = row.kind as ReplyKind;
    if (kind === 'extension' && decision === 'accept') {
      const date = (row.requested_due_on as string | null) ?? null;
      if (!date) throw new WorkOrderActionError('该延期申请没有写明延至哪天，请在企业微信中审核并给出日期');
      if (date <= businessDate(this.clock.now(), this.zone)) throw new WorkOrderActionError(`申请延至的 ${date} 已不在今天之后，请在企业微信中审核并给出新的日期`);
    }
    const a: Actor = by.userid
      ? { ...(await this.s.actor(by.userid, 0)), requestId: by.requestId, name: by.actor }
      : { userid: '', contacts: [], inboundId: 0, requestId: by.requestId, name: by.actor };
    try {
      await this.review(a, replyId, decision === 'accept' ? 'ok' : 'no', { reason: comment || undefined, authorized: true });
    } catch (e) {
      if (e instanceof Error && e.message === REVIEWED_CONCURRENTLY) throw new WorkOrderActionError('该反馈已审核过', 'conflict');
      throw e;
    }
    const after = await this.db('replies').where({ id: replyId }).first('review_state');
    if (after?.review_state === 'pending') throw new WorkOrderActionError('未能完成审核，请刷新后重试', 'conflict');
  }

  private async isFallbackReviewer(a: Actor, _o: OrderView): Promise<boolean> {
    return a.contacts.some((c) => c.role === 'admin');
  }

  private async setDue(trx: Knex.Transaction, o: OrderView, due: Date, a: Actor, data: Record<string, unknown>): Promise<void> {
    await this.workOrders.changeDue(o.id, due, { actor: this.s.actorName(a), at: this.clock.now(), data, trx });
  }

  /** The order a supervisor names by code, with the pending reply of the kind the command is about. */
  async reviewByCode(a: Actor, code: string, kind: ReplyKind, decision: 'ok' | 'no', opts: { reason?: string; date?: string }): Promise<void> {
    if (!this.s.isReviewer(a)) return this.s.say(a, 'r', 'error.not_supervisor');
    const o = await this.views.byCode(code);
    if (!o) return this.s.say(a, 'r', 'error.no_order', { code });
    const p = await this.pendingReplyOf(o.id, kind);
    if (!p) return this.s.say(a, 'r', 'error.nothing_pending', { code: o.code, what: REPLY_KIND_LABELS[kind] }, o.id);
    return this.review(a, p.replyId, decision, opts);
  }
}
