/**
 * What an admin or a supervisor does to one order from the console: 催办 (a reminder now), a new
 * deadline, withdrawing it (撤销), reassigning it to another unit or contact, and a note on its
 * timeline. Each writes the order through the work-order store, leaves one event on the order's
 * timeline and tells whoever must know through the outbox, all in one transaction. The event
 * names the outbox keys it queued (data.messages) so the timeline folds the deliveries under it.
 *
 * Who may act (role, unit scope) is the caller's check; the rules of each action live here.
 */
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import { table } from '../../db/tables';
import { CalendarDataMissingError } from '../calendar/calendar';
import type { CalendarService } from '../calendar/service';
import { businessDate, formatInstantZh, instantAt, parseIsoDate, yearOf } from '../calendar/dates';
import type { Contact, ContactsService } from '../contacts/service';
import { refreshCards } from '../conversation/card-refresh';
import type { Messenger } from '../conversation/messenger';
import type { OrderView, OrderViews } from '../conversation/views';
import type { EventLog } from '../events/events';
import { formatDueZh } from '../messages/due';
import type { MessageTemplates } from '../messages/templates';
import { CLOSED_STATES, STATE_LABELS, type WorkOrderState } from './states';
import type { WorkOrderStore } from './store';

/** A refused action: the message is Chinese and meant for the user. */
export class WorkOrderActionError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'conflict' | 'not_found' = 'invalid',
  ) {
    super(message);
    this.name = 'WorkOrderActionError';
  }
}

export type OrderActionKind = 'remind' | 'due' | 'withdraw' | 'reassign' | 'note';

/**
 * States in which the unit is expected to act, so a reminder makes sense (a rejected order is
 * notified again first; the outbox drops a queued reminder whose order is no longer notified).
 */
const REMINDABLE: ReadonlySet<WorkOrderState> = new Set(['notified']);
const NOT_REMINDABLE_WHY: Partial<Record<WorkOrderState, string>> = {
  new: '（尚未通知单位）',
  replied: '（单位已反馈，待审核）',
  rejected: '（已退回，待重新通知单位）',
};

export interface WorkOrderActionsDeps {
  db: Knex;
  workOrders: WorkOrderStore;
  views: OrderViews;
  contacts: ContactsService;
  templates: MessageTemplates;
  messenger: Messenger;
  events: EventLog;
  calendar: CalendarService;
  clock: Clock;
  zone: string;
  cutoff: string;
}

export interface ActionResult {
  /** Messages queued (one per recipient). */
  messages: number;
  /** A note for the user (e.g. the date lies in a year whose holidays are not yet published). */
  warning?: string;
}

function uniqueByUserid(contacts: Contact[]): Contact[] {
  const seen = new Set<string>();
  return contacts.filter((c) => c.reachable && (seen.has(c.userid) ? false : (seen.add(c.userid), true)));
}

export class WorkOrderActions {
  constructor(private readonly d: WorkOrderActionsDeps) {}

  /** The actions an order's state allows (before any role or scope check). */
  allowedFor(state: WorkOrderState): OrderActionKind[] {
    if (CLOSED_STATES.has(state)) return ['note'];
    const out: OrderActionKind[] = [];
    if (REMINDABLE.has(state)) out.push('remind');
    out.push('due', 'withdraw', 'reassign', 'note');
    return out;
  }

  private async order(id: number): Promise<OrderView> {
    const o = await this.d.views.get(id);
    if (!o) throw new WorkOrderActionError(`工单不存在：${id}`, 'not_found');
    return o;
  }

  private requireOpen(o: OrderView, action: string): void {
    if (CLOSED_STATES.has(o.state)) throw new WorkOrderActionError(`工单 ${o.code} 已${STATE_LABELS[o.state].replace(/^已/, '')}，不能${action}`, 'conflict');
  }

  private dueText(o: OrderView): string {
    return o.dueAt ? formatDueZh(o.dueAt, o.dueProvisional, this.d.zone) : '待通知后确定';
  }

  private async send(
    trx: Knex.Transaction,
    o: OrderView,
    to: Contact[],
    key: string,
    purpose: string,
    text: string,
  ): Promise<string[]> {
    const keys: string[] = [];
    for (const c of to) {
      const k = `${key}:${c.userid}`;
      const m = await this.d.messenger.send({ key: k, touser: c.userid, purpose, workOrderId: o.id, contactId: c.id, message: text }, trx);
      if (m.created) keys.push(k);
    }
    return keys;
  }

  /** 催办: a reminder to the unit's primary contacts now, logged on the order. */
  async remind(id: number, input: { actor: string; note?: string | null }): Promise<ActionResult> {
    const o = await this.order(id);
    this.requireOpen(o, '催办');
    if (!REMINDABLE.has(o.state)) {
      throw new WorkOrderActionError(`工单 ${o.code} 当前状态为“${STATE_LABELS[o.state]}”，不需要催办${NOT_REMINDABLE_WHY[o.state] ?? ''}`, 'conflict');
    }
    const to = o.unitId === null ? [] : uniqueByUserid(await this.d.contacts.primaries(o.unitId));
    if (!to.length) throw new WorkOrderActionError(`工单 ${o.code} 的单位“${o.unitName ?? '未知单位'}”没有可送达的主联系人，无法催办`, 'conflict');
    const at = this.d.clock.now();
    const note = input.note?.trim() ? `督办说明：${input.note.trim()}` : '';
    const text = await this.d.templates.render('action.remind', { code: o.code, target: o.target, due: this.dueText(o), note });
    return this.d.db.transaction(async (trx) => {
      const keys = await this.send(trx, o, to, `action_remind:${o.id}:${at.getTime()}`, 'reminder', text);
      await this.d.events.append(
        {
          type: 'work_order.reminded',
          actor: input.actor,
          at,
          workOrderId: o.id,
          noticeId: o.noticeId,
          unitId: o.unitId,
          data: { kind: 'manual', note: input.note?.trim() || null, to: to.map((c) => c.userid), messages: keys },
        },
        trx,
      );
      return { messages: keys.length };
    });
  }

  /**
   * A new deadline: a working day, not in the past, at the working day's cutoff. It resets overdue
   * and the escalation ladder (the store's one rule for a new due date). An order not yet notified
   * keeps it as its fixed due date (used when it is notified); a notified one's unit is told.
   */
  async changeDue(id: number, input: { actor: string; due: string; reason: string }): Promise<ActionResult> {
    const o = await this.order(id);
    this.requireOpen(o, '调整期限');
    const reason = input.reason.trim();
    if (!reason) throw new WorkOrderActionError('请填写调整期限的原因');
    let date: string;
    try {
      date = parseIsoDate(input.due);
    } catch {
      throw new WorkOrderActionError(`新期限“${input.due}”不是有效的日期（格式 YYYY-MM-DD）`);
    }
    const now = this.d.clock.now();
    const today = businessDate(now, this.d.zone);
    if (date < today) throw new WorkOrderActionError(`新期限 ${date} 早于今天（${today}），请选择今天或以后的工作日`);
    const calendar = await this.d.calendar.get();
    let workday: boolean;
    try {
      workday = calendar.isWorkday(date);
    } catch (e) {
      if (e instanceof CalendarDataMissingError) throw new WorkOrderActionError(`${yearOf(date)}年的节假日安排尚未导入，暂不能把期限设在该年`, 'conflict');
      throw e;
    }
    const day = calendar.day(date);
    if (!workday) throw new WorkOrderActionError(`${date} 不是工作日（${day.name ?? (day.type === 'holiday' ? '节假日' : '周末')}），请选择工作日`);
    const due = instantAt(date, this.d.cutoff, this.d.zone);
    if (due.getTime() <= now.getTime()) throw new WorkOrderActionError(`今天的截止时刻（${this.d.cutoff}）已过，请选择以后的工作日`);
    // A date in the year whose arrangement is not yet published is a working day by the holiday
    // law only. It stays the date chosen (it is not counted by a rule, so it is not recomputed when
    // the arrangement is loaded): the user is told.
    const warning =
      day.source === 'provisional' ? `${yearOf(date)}年节假日安排尚未公布，${date} 按法定节假日暂定为工作日；公布后如有变化请再调整` : undefined;
    const at = now;
    if (o.state === 'new') {
      await this.d.workOrders.setDueOnOverride(o.id, date, { actor: input.actor, at, data: { reason } });
      return { messages: 0, warning };
    }
    const to = o.unitId === null ? [] : uniqueByUserid(await this.d.contacts.primaries(o.unitId));
    const text = await this.d.templates.render('action.due_changed', {
      code: o.code,
      target: o.target,
      old_due: o.dueAt ? formatInstantZh(o.dueAt, this.d.zone) : '（无）',
      due: formatDueZh(due, false, this.d.zone),
      reason,
    });
    return this.d.db.transaction(async (trx) => {
      const keys = await this.send(trx, o, to, `action_due:${o.id}:${due.getTime()}:${at.getTime()}`, 'due_changed', text);
      await this.d.workOrders.changeDue(o.id, due, { actor: input.actor, at, trx, data: { reason, kind: 'manual', date, messages: keys } });
      return { messages: keys.length, warning };
    });
  }

  /**
   * 撤销: the order is called off with a reason. Pending requests are closed, the unit's cards lose
   * their buttons, and the unit is told (when it had been notified).
   */
  async withdraw(id: number, input: { actor: string; reason: string }): Promise<ActionResult> {
    const o = await this.order(id);
    this.requireOpen(o, '撤销');
    const reason = input.reason.trim();
    if (!reason) throw new WorkOrderActionError('请填写撤销原因');
    const at = this.d.clock.now();
    const to = o.state === 'new' || o.unitId === null ? [] : uniqueByUserid(await this.d.contacts.primaries(o.unitId));
    const text = await this.d.templates.render('action.withdrawn', { code: o.code, target: o.target, reason });
    return this.d.db.transaction(async (trx) => {
      const keys = await this.send(trx, o, to, `action_withdraw:${o.id}`, 'withdrawn', text);
      await this.d.workOrders.transition(o.id, 'withdraw', { actor: input.actor, at, trx, data: { reason, messages: keys } });
      await trx('replies')
        .where({ work_order_id: o.id, review_state: 'pending' })
        .update({ review_state: 'rejected', review_comment: '工单已撤销', reviewed_at: at.getTime(), reviewed_by: 'system' });
      await refreshCards(this.d.messenger, trx, { workOrderId: o.id, kind: 'notify', label: '已撤销' });
      return { messages: keys.length };
    });
  }

  /**
   * 改派: to another unit, or to a contact (its unit takes the order; the contact is the one told).
   * The new unit must be in `allowedUnit` (the caller's scope). Both sides are told when the order
   * had been notified.
   */
  async reassign(
    id: number,
    input: { actor: string; unitId?: number | null; contactId?: number | null; reason: string; allowedUnit: (unitId: number) => boolean },
  ): Promise<ActionResult> {
    const o = await this.order(id);
    this.requireOpen(o, '改派');
    const reason = input.reason.trim();
    if (!reason) throw new WorkOrderActionError('请填写改派原因');
    if (!input.unitId && !input.contactId) throw new WorkOrderActionError('请选择改派到的单位或联系人');
    let contact: Contact | null = null;
    let unitId = input.unitId ?? null;
    if (input.contactId) {
      contact = await this.d.contacts.get(input.contactId);
      if (!contact || !contact.active) throw new WorkOrderActionError('联系人不存在或已停用', 'not_found');
      if (contact.unitId === null) throw new WorkOrderActionError(`联系人“${contact.name ?? contact.userid}”没有所属单位，不能承办工单`);
      if (unitId !== null && unitId !== contact.unitId) throw new WorkOrderActionError(`联系人“${contact.name ?? contact.userid}”不属于所选单位`);
      unitId = contact.unitId;
    }
    const unit = unitId === null ? undefined : await table(this.d.db, 'units').where({ id: unitId }).first('id', 'name');
    if (!unit) throw new WorkOrderActionError('改派到的单位不存在', 'not_found');
    if (!input.allowedUnit(Number(unit.id))) throw new WorkOrderActionError(`单位“${unit.name}”不在您的督办范围内，不能改派给该单位`, 'not_found');
    if (Number(unit.id) === o.unitId && (!contact || contact.id === (await this.assignedContactId(o.id)))) {
      throw new WorkOrderActionError(`工单 ${o.code} 已由“${unit.name}”办理${contact ? `（${contact.name ?? contact.userid}）` : ''}`, 'conflict');
    }
    const at = this.d.clock.now();
    const notified = o.state !== 'new';
    const newPeople = !notified ? [] : contact ? uniqueByUserid([contact]) : uniqueByUserid(await this.d.contacts.primaries(Number(unit.id)));
    const oldPeople =
      !notified || o.unitId === null || o.unitId === Number(unit.id)
        ? []
        : uniqueByUserid(await this.d.contacts.primaries(o.unitId)).filter((c) => !newPeople.some((n) => n.userid === c.userid));
    const vars = { code: o.code, target: o.target, unit: String(unit.name), reason, due: this.dueText(o), problems: o.problems.map((p) => p.text).join('；') };
    const inText = await this.d.templates.render('action.reassigned_in', vars);
    const outText = await this.d.templates.render('action.reassigned_out', vars);
    return this.d.db.transaction(async (trx) => {
      const key = `action_reassign:${o.id}:${at.getTime()}`;
      const keys = [
        ...(await this.send(trx, o, newPeople, `${key}:in`, 'reassigned', inText)),
        ...(await this.send(trx, o, oldPeople, `${key}:out`, 'reassigned', outText)),
      ];
      await this.d.workOrders.reassign(o.id, { unitId: Number(unit.id), contactId: contact?.id ?? null }, { actor: input.actor, at, trx, data: { reason, messages: keys } });
      if (o.unitId !== Number(unit.id)) await refreshCards(this.d.messenger, trx, { workOrderId: o.id, kind: 'notify', label: '已改派' });
      return { messages: keys.length };
    });
  }

  private async assignedContactId(id: number): Promise<number | null> {
    const wo = await this.d.workOrders.get(id);
    const v = wo?.extra.assigned_contact_id;
    return typeof v === 'number' ? v : null;
  }

  /** A note on the order's timeline (nobody is told). */
  async note(id: number, input: { actor: string; text: string }): Promise<ActionResult> {
    const o = await this.order(id);
    const text = input.text.trim();
    if (!text) throw new WorkOrderActionError('备注内容不能为空');
    await this.d.events.append({ type: 'work_order.note', actor: input.actor, at: this.d.clock.now(), workOrderId: o.id, noticeId: o.noticeId, unitId: o.unitId, data: { text } });
    return { messages: 0 };
  }
}
