/**
 * Notification: a work order in state `new` (or `rejected`, after a review) becomes a template
 * card to each reachable primary contact of its unit; a unit with several new orders in one
 * notice also gets one summary; a unit without a reachable primary contact is reported to the
 * admins once per notice. The order becomes `notified`, with its deadline computed from that
 * instant, when WeCom accepts the message (onDelivered), not when it is queued.
 */
import { CARD_UNSUPPORTED_ERRCODES } from '../../wecom/errors';
import type { Knex } from 'knex';
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import type { CalendarService } from '../calendar/service';
import type { ContactsService, Contact } from '../contacts/service';
import { decideDeadline, type DeadlineSettings, type DeadlineSpec } from '../deadlines/deadline';
import type { DeadlineRuleStore } from '../deadlines/rules';
import type { EventLog } from '../events/events';
import { CARD_FIELD_MAX, CARD_SUBTITLE_MAX, noticeCard, taskId } from '../messages/cards';
import { formatDueZh, provisionalNote } from '../messages/due';
import type { MessageTemplates } from '../messages/templates';
import { outboxFromRow, type OutboxRow } from '../outbox/store';
import type { OutgoingMessage } from '../../wecom/client';
import type { WorkOrderStore } from '../workorders/store';
import type { Messenger } from './messenger';
import type { OrderView, OrderViews } from './views';

export const NOTIFY_PURPOSE = 'work_order_notice';
/** A unit with at least this many new orders in one notice also gets a summary. */
export const SUMMARY_THRESHOLD = 3;

export interface NotificationSettings {
  deadline: DeadlineSettings;
  /** Send template cards (false: the text version, for clients without cards). */
  cards: boolean;
}

export interface PreparedNotice {
  workOrderId: number;
  round: number;
  due: Date;
  provisional: boolean;
  items: { key: string; userid: string; contactId: number; taskId: string; message: OutgoingMessage | string; followUp?: boolean }[];
}

export interface NotifyReport {
  cards: number;
  summaries: number;
  units_without_contact: number;
}

export class NotificationService {
  constructor(
    private readonly db: Knex,
    private readonly views: OrderViews,
    private readonly contacts: ContactsService,
    private readonly templates: MessageTemplates,
    private readonly messenger: Messenger,
    private readonly workOrders: WorkOrderStore,
    private readonly rules: DeadlineRuleStore,
    private readonly calendar: CalendarService,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly logger: Logger,
    readonly settings: NotificationSettings,
  ) {}

  /** The notification round of an order: how many times a rectification was sent back. */
  async round(workOrderId: number): Promise<number> {
    const [{ n }] = await this.db('replies').where({ work_order_id: workOrderId, kind: 'rectified', review_state: 'rejected' }).count({ n: '*' });
    return Number(n);
  }

  /** The deadline an order notified at `at` would get. */
  async deadline(o: OrderView, at: Date): Promise<Date> {
    return (await this.deadlineDecision(o, at)).due;
  }

  /**
   * The deadline an order notified at `at` would get, whether it is provisional, and the rule
   * that set it (`spec`, null for a date given on the order or the notice) with the earliest it
   * may be (`notBefore`, a rejected order's previous deadline): what recomputing it needs.
   */
  async deadlineDecision(
    o: OrderView,
    at: Date,
  ): Promise<{ due: Date; provisional: boolean; spec: DeadlineSpec | null; notBefore: Date | null }> {
    // A due instant fixed at creation (a monitoring order's, counted from its receipt) stands.
    if (o.state === 'new' && o.dueAt) return { due: o.dueAt, provisional: o.dueProvisional, spec: null, notBefore: null };
    const rejected = o.state === 'rejected';
    const decide = async (dueOnOverride: string | null) =>
      decideDeadline(
        {
          notifiedAt: at,
          dueOnOverride,
          // After a rejection the notice's report date has done its part: the rules count anew.
          noticeReportDueOn: rejected ? null : o.noticeReportDueOn,
          source: o.noticeSource,
          targetKind: o.targetKind,
          categories: o.problems.map((p) => p.category),
        },
        await this.rules.list(),
        await this.calendar.get(),
        this.settings.deadline,
      );
    let d = await decide(o.dueOnOverride);
    const result = () => ({ due: d.due, provisional: d.provisional, spec: d.spec, notBefore: null });
    if (!rejected) return result();
    // A rejected order's new deadline is never already past, nor earlier than the one it had.
    if (d.due.getTime() <= at.getTime()) d = await decide(null);
    if (o.dueAt && o.dueAt.getTime() > d.due.getTime()) return { due: o.dueAt, provisional: o.dueProvisional, spec: d.spec, notBefore: o.dueAt };
    return { ...result(), notBefore: o.dueAt };
  }

  formatDue(d: Date, provisional = false): string {
    return formatDueZh(d, provisional, this.settings.deadline.zone);
  }

  /**
   * The messages that notify one order (cards, or texts) to its unit's reachable primaries:
   * computed outside any transaction, enqueued by enqueueNotice (in the caller's transaction).
   */
  async prepareNotice(
    workOrderId: number,
    opts: { primaries?: Contact[]; asRejected?: { reason: string | null; round: number } } = {},
  ): Promise<PreparedNotice | 'no_contact' | 'not_due'> {
    const o0 = await this.views.get(workOrderId);
    if (!o0) return 'not_due';
    const o: OrderView = opts.asRejected ? { ...o0, state: 'rejected' } : o0;
    if (o.state !== 'new' && o.state !== 'rejected') return 'not_due';
    const to = opts.primaries ?? (o.unitId === null ? [] : await this.contacts.primaries(o.unitId));
    if (!to.length) return 'no_contact';
    const round = opts.asRejected?.round ?? (await this.round(o.id));
    // The deadline counts from delivery: outside working hours the card waits for the morning.
    const { due, provisional } = await this.deadlineDecision(o, await this.messenger.sendableAt(NOTIFY_PURPOSE, this.clock.now()));
    let reason: string | null = opts.asRejected?.reason ?? null;
    if (o.state === 'rejected' && !opts.asRejected) {
      const r = await this.db('replies')
        .where({ work_order_id: o.id, kind: 'rectified', review_state: 'rejected' })
        .orderBy('id', 'desc')
        .first('review_comment');
      reason = r?.review_comment ?? null;
    }
    const problems = o.problems.map((p) => p.text).join('；');
    const items: PreparedNotice['items'] = [];
    const seen = new Set<string>();
    const title = await this.templates.render(round > 0 ? 'notify.rejected_title' : 'notify.title', { code: o.code });
    const reasonLine = reason ? await this.templates.render('review.rejected.reason', { reason }) : '';
    const full = await cardOverflow(this.templates, o.code, reason, problems);
    for (const c of to) {
      if (seen.has(c.userid)) continue;
      seen.add(c.userid);
      const key = `notify:${o.id}:r${round}:${c.userid}`;
      const tid = taskId(`wo${o.id}`, `r${round}`, `c${c.id}`, this.clock.now().getTime().toString(36));
      const message = this.settings.cards
        ? noticeCard({ taskId: tid, workOrderId: o.id, title, noticeTitle: o.noticeTitle, docNo: o.docNo, target: o.target, platform: o.platform, problems, due: this.formatDue(due), dueNote: provisional ? provisionalNote(due, this.settings.deadline.zone) : null, reason })
        : await this.templates.render('notify.text', {
            code: o.code,
            notice_title: o.noticeTitle,
            doc_no: o.docNo,
            target: o.target,
            platform: o.platform ?? '—',
            problems,
            due: this.formatDue(due, provisional),
            reason: reasonLine,
          });
      items.push({ key, userid: c.userid, contactId: c.id, taskId: this.settings.cards ? tid : `text-${tid}`, message });
      // What the card's fields cut (a long reason, a long list of problems) follows in full as a text.
      if (this.settings.cards && full) items.push({ key: `${key}:full`, userid: c.userid, contactId: c.id, taskId: `full-${tid}`, message: full, followUp: true });
    }
    return { workOrderId: o.id, round, due, provisional, items };
  }

  /** Enqueues prepared notices (only trx queries: safe inside a transaction on SQLite's one connection). */
  async enqueueNotice(p: PreparedNotice, trx?: Knex.Transaction): Promise<number> {
    let n = 0;
    for (const it of p.items) {
      const sent = await this.messenger.send(
        { key: it.key, touser: it.userid, purpose: it.followUp ? NOTIFY_FULL_PURPOSE : NOTIFY_PURPOSE, workOrderId: p.workOrderId, contactId: it.contactId, message: it.message },
        trx,
      );
      if (!sent.created || it.followUp) continue;
      await (trx ?? this.db)('cards')
        .insert({
          task_id: it.taskId,
          kind: 'notify',
          work_order_id: p.workOrderId,
          contact_id: it.contactId,
          userid: it.userid,
          round: p.round,
          outbox_key: it.key,
          stated_due_at: p.due.getTime(),
          stated_due_provisional: p.provisional,
          created_at: this.clock.now().getTime(),
        })
        .onConflict('task_id')
        .ignore();
      n++;
    }
    return n;
  }

  /** Notifies one order now; 'no_contact' when its unit has no reachable primary contact. */
  async notifyOrder(workOrderId: number, primaries?: Contact[]): Promise<number | 'no_contact' | 'not_due'> {
    const p = await this.prepareNotice(workOrderId, { primaries });
    if (typeof p === 'string') return p;
    return this.db.transaction((trx) => this.enqueueNotice(p, trx));
  }

  /** The job: every order waiting to be notified, grouped by unit and notice. */
  async notifyPending(limit = 2000): Promise<NotifyReport> {
    const report: NotifyReport = { cards: 0, summaries: 0, units_without_contact: 0 };
    await this.reconcile();
    const orders = await this.views.toNotify(limit);
    const groups = new Map<string, OrderView[]>();
    for (const o of orders) {
      const k = `${o.noticeId}:${o.unitId ?? 'none'}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(o);
    }
    const admins = await this.contacts.admins();
    for (const group of groups.values()) {
      const first = group[0];
      const primaries = first.unitId === null ? [] : await this.contacts.primaries(first.unitId);
      if (!primaries.length) {
        if (await this.reportNoContact(group, admins)) report.units_without_contact++;
        continue;
      }
      const fresh = group.filter((o) => o.state === 'new');
      if (fresh.length >= SUMMARY_THRESHOLD) {
        const lines = fresh.map((o, i) => `${i + 1}. ${o.code} ${o.target}${o.platform ? `（${o.platform}）` : ''}`).join('\n');
        for (const c of primaries) {
          const sent = await this.messenger.send({
            key: `summary:${first.noticeId}:${first.unitId}:${c.userid}`,
            touser: c.userid,
            purpose: 'notice_summary',
            contactId: c.id,
            message: await this.templates.render('notify.summary', {
              notice_title: first.noticeTitle,
              doc_no: first.docNo,
              count: fresh.length,
              lines,
            }),
          });
          if (sent.created) report.summaries++;
        }
      }
      for (const o of group) {
        const r = await this.notifyOrder(o.id, primaries);
        if (typeof r === 'number') report.cards += r;
      }
    }
    return report;
  }

  private async reportNoContact(group: OrderView[], admins: Contact[]): Promise<boolean> {
    const first = group[0];
    const unit = first.unitName ?? '（未识别单位）';
    const text = await this.templates.render('admin.no_contact', {
      notice_title: first.noticeTitle,
      doc_no: first.docNo,
      unit,
      count: group.length,
      codes: group.length > 5 ? `${group.slice(0, 5).map((o) => o.code).join('、')} 等` : group.map((o) => o.code).join('、'),
    });
    // One transaction for the admins' messages and the event: an instance doing the same at the
    // same moment waits on the messages' keys until this commits, then sees the event.
    return this.db.transaction(async (trx) => {
      let created = false;
      for (const a of admins) {
        const r = await this.messenger.send(
          {
            key: `admin:nocontact:${first.noticeId}:${first.unitId ?? 'none'}:${a.userid}`,
            touser: a.userid,
            purpose: 'admin_notice',
            contactId: a.id,
            message: text,
          },
          trx,
        );
        created ||= r.created;
      }
      const known = await trx('events')
        .where({ type: 'unit.no_contact', notice_id: first.noticeId })
        .andWhere((w) => void (first.unitId === null ? w.whereNull('unit_id') : w.where('unit_id', first.unitId)))
        .first('id');
      if (!known) {
        await this.events.append(
          {
            type: 'unit.no_contact',
            actor: 'system',
            at: this.clock.now(),
            noticeId: first.noticeId,
            unitId: first.unitId,
            data: { unit, workOrders: group.map((o) => o.code), admins: admins.map((a) => a.userid) },
          },
          trx,
        );
        if (!admins.length) this.logger.error({ unit, notice: first.docNo }, `单位“${unit}”没有可送达的主联系人，且没有可通知的管理员`);
        return true;
      }
      return created;
    });
  }

  /**
   * Outbox hook: a card WeCom refused as a message type it cannot take (a client or a deployment
   * without template cards) is sent again as text.
   */
  async onFailed(row: OutboxRow, errcode: number | null): Promise<void> {
    if (row.purpose !== NOTIFY_PURPOSE || row.msgtype !== 'template_card' || row.workOrderId === null) return;
    if (errcode === null || !CARD_UNSUPPORTED_ERRCODES.has(errcode)) return;
    const card = await this.db('cards').where({ outbox_key: row.idempotencyKey }).first();
    const o = await this.views.get(row.workOrderId);
    if (!card || !o || (o.state !== 'new' && o.state !== 'rejected')) return;
    const reason =
      Number(card.round) > 0
        ? (await this.db('replies').where({ work_order_id: o.id, kind: 'rectified', review_state: 'rejected' }).orderBy('id', 'desc').first('review_comment'))
            ?.review_comment ?? null
        : null;
    const text = await this.templates.render('notify.text', {
      code: o.code,
      notice_title: o.noticeTitle,
      doc_no: o.docNo,
      target: o.target,
      platform: o.platform ?? '—',
      problems: o.problems.map((p) => p.text).join('；'),
      due: this.formatDue(new Date(Number(card.stated_due_at)), card.stated_due_provisional === true || card.stated_due_provisional === 1),
      reason: reason ? await this.templates.render('review.rejected.reason', { reason }) : '',
    });
    await this.messenger.send({
      key: `${row.idempotencyKey}:text`,
      touser: row.touser,
      purpose: NOTIFY_PURPOSE,
      workOrderId: o.id,
      contactId: row.contactId,
      message: text,
    });
  }

  /** Orders whose notice was sent but not yet recorded as notified (a failed hook): record them now. */
  async reconcile(): Promise<number> {
    const rows = await this.db('cards as k')
      .join('outbox as x', 'x.idempotency_key', 'k.outbox_key')
      .join('work_orders as w', 'w.id', 'k.work_order_id')
      .where('k.kind', 'notify')
      .where('x.state', 'sent')
      .whereIn('w.state', ['new', 'rejected'])
      .select('x.*', 'k.round as card_round', 'w.state as wo_state')
      .limit(500);
    let n = 0;
    for (const r of rows) {
      if (r.wo_state === 'rejected' && Number(r.card_round) !== (await this.round(Number(r.work_order_id)))) continue;
      await this.onDelivered(outboxFromRow(r));
      n++;
    }
    return n;
  }

  /** Outbox hook: WeCom accepted a notice, so the order is notified now and due from now. */
  async onDelivered(row: OutboxRow): Promise<void> {
    if (row.purpose !== NOTIFY_PURPOSE || row.workOrderId === null || !row.sentAt) return;
    const o = await this.views.get(row.workOrderId);
    if (!o || (o.state !== 'new' && o.state !== 'rejected')) return;
    const at = row.sentAt;
    const { due, provisional, spec, notBefore } = await this.deadlineDecision(o, at);
    try {
      await this.workOrders.transition(o.id, 'notify', {
        actor: 'system',
        at,
        dueAt: due,
        dueProvisional: provisional,
        contactId: row.contactId,
        data: {
          outboxId: row.id,
          touser: row.touser,
          msgid: row.msgid,
          dueAt: due.toISOString(),
          // What a provisional deadline is recomputed from when its year's arrangement is loaded.
          ...(provisional ? { dueProvisional: true, dueSpec: spec, dueNotBefore: notBefore?.getTime() ?? null } : {}),
        },
      });
    } catch (e) {
      // Another recipient's delivery got there first.
      const now = await this.views.get(o.id);
      if (now && now.state === 'notified') return;
      throw e;
    }
    const card = await this.db('cards').where({ outbox_key: row.idempotencyKey }).first('stated_due_at');
    if (card?.stated_due_at && Number(card.stated_due_at) !== due.getTime()) {
      // The card was built before it was sent; the deadline counts from the send.
      await this.messenger.send({
        key: `due_corrected:${o.id}:${row.id}`,
        touser: row.touser,
        purpose: 'due_corrected',
        workOrderId: o.id,
        contactId: row.contactId,
        message: await this.templates.render('notify.due_corrected', { code: o.code, due: this.formatDue(due, provisional) }),
      });
    }
  }
}

/** The full text of a notice card's follow-up (a reason or problems the card cuts), or null. */
const NOTIFY_FULL_PURPOSE = 'work_order_notice_full';
async function cardOverflow(templates: MessageTemplates, code: string, reason: string | null, problems: string): Promise<string | null> {
  const parts: string[] = [];
  if (reason && [...reason].length > CARD_FIELD_MAX) parts.push(await templates.render('notify.full_reason', { code, reason }));
  if ([...`问题：${problems}`].length > CARD_SUBTITLE_MAX) parts.push(await templates.render('notify.full_problems', { code, problems }));
  return parts.length ? parts.join('\n') : null;
}
