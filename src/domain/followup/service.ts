/**
 * Deadlines in motion: reminders before the deadline, the overdue escalation ladder, the
 * supervisors' and admins' daily digests, and the delivery of repeat-offender escalations.
 * Each is a sweep the scheduler (and `cli tick`) runs at an injected instant; every message
 * has an idempotency key, so a sweep run twice, or by two instances, sends nothing twice.
 */
import type { Knex } from 'knex';
import { CONSOLE_PAGES, consoleLink, type ConsoleLinks } from '../messages/links';
import { DateTime } from 'luxon';
import type { Logger } from '../../logger';
import type { CalendarService } from '../calendar/service';
import type { WorkCalendar } from '../calendar/calendar';
import { businessDate, formatInstantZh, instantAt } from '../calendar/dates';
import type { Contact, ContactsService } from '../contacts/service';
import type { OrderView, OrderViews } from '../conversation/views';
import type { Messenger } from '../conversation/messenger';
import type { EventLog } from '../events/events';
import { formatDueZh } from '../messages/due';
import { missingNextYear, withYearEndWarning } from '../calendar/year-end';
import type { MessageTemplates } from '../messages/templates';
import { TARGET_KINDS } from '../problems/taxonomy';
import { AWAITING_UNIT_STATES, REPLY_KIND_LABELS, type WorkOrderState } from '../workorders/states';
import { dueLadderSteps, ladderSchedule, LADDER_ROLE_LABELS, type LadderRole, type LadderStep } from './ladder';
import type { SettingsService } from './settings';
import type { FollowupStore, RepeatOffenderView } from './store';

const AWAITING = [...AWAITING_UNIT_STATES] as WorkOrderState[];
const BATCH = 500;
const DIGEST_MAX_BYTES = 2000; // WeCom's text messages take at most 2048 bytes

export interface FollowupDeps {
  db: Knex;
  store: FollowupStore;
  views: OrderViews;
  contacts: ContactsService;
  templates: MessageTemplates;
  messenger: Messenger;
  calendar: CalendarService;
  settings: SettingsService;
  events: EventLog;
  logger: Logger;
  zone: string;
  cutoff: string;
  /** The console's address for the digest's link (consoleLink); none: no link. */
  links?: ConsoleLinks;
}

export interface ReminderReport {
  reminders: number;
  orders: number;
}
export interface LadderReport {
  steps: number;
  messages: number;
  steps_without_contact: number;
  ladders_closed: number;
}
export interface DigestReport {
  supervisors: number;
  admins: number;
}
export interface RepeatReport {
  delivered: number;
  messages: number;
}

function uniqueByUserid(contacts: Contact[]): Contact[] {
  const seen = new Set<string>();
  return contacts.filter((c) => (seen.has(c.userid) ? false : (seen.add(c.userid), true)));
}

export class FollowupService {
  /** Repeat-offender escalations already logged as having nobody to tell (logged once each). */
  private readonly undeliverable = new Set<number>();

  constructor(private readonly d: FollowupDeps) {}

  private due(o: OrderView): string {
    return formatDueZh(o.dueAt!, o.dueProvisional, this.d.zone);
  }

  // ------------------------------------------------------------------------------ reminders

  /**
   * The reminder instants of an order due at `dueAt`: the morning of the due day and N minutes
   * before the deadline (either may be off). Only instants after notification and before the
   * deadline count.
   */
  reminderInstants(dueAt: Date, settings: { reminderMorning: string | null; reminderBeforeMinutes: number | null }): { kind: 'due_day' | 'before'; at: Date }[] {
    const out: { kind: 'due_day' | 'before'; at: Date }[] = [];
    if (settings.reminderMorning) out.push({ kind: 'due_day', at: instantAt(businessDate(dueAt, this.d.zone), settings.reminderMorning, this.d.zone) });
    if (settings.reminderBeforeMinutes) out.push({ kind: 'before', at: new Date(dueAt.getTime() - settings.reminderBeforeMinutes * 60_000) });
    return out.filter((r) => r.at.getTime() < dueAt.getTime()).sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /**
   * Reminds every notified, unanswered order whose reminder instant has come (the latest one
   * only). It runs every minute, so the orders whose reminder is already queued (every key
   * taken) are settled with one lookup, before anything is loaded or rendered.
   */
  async remind(at: Date): Promise<ReminderReport> {
    const s = await this.d.settings.get();
    const report: ReminderReport = { reminders: 0, orders: 0 };
    if (!s.reminderMorning && !s.reminderBeforeMinutes) return report;
    const lookaheadMs = Math.max(24 * 3600_000, (s.reminderBeforeMinutes ?? 0) * 60_000 + 60_000);
    const due = await this.d.store.dueWithin(['notified'], at, new Date(at.getTime() + lookaheadMs), 5000);
    const primaries = new Map<number, Contact[]>();
    const wanted: { id: number; kind: 'due_day' | 'before'; to: Contact[]; keys: string[] }[] = [];
    for (const o of due) {
      if (o.unitId === null) continue;
      const passed = this.reminderInstants(o.dueAt, s).filter(
        (r) => r.at.getTime() <= at.getTime() && (!o.notifiedAt || r.at.getTime() > o.notifiedAt.getTime()),
      );
      const r = passed[passed.length - 1];
      if (!r) continue;
      if (!primaries.has(o.unitId)) primaries.set(o.unitId, uniqueByUserid(await this.d.contacts.primaries(o.unitId)));
      const to = primaries.get(o.unitId)!;
      wanted.push({ id: o.id, kind: r.kind, to, keys: to.map((c) => `remind:${o.id}:${o.dueAt.getTime()}:${r.kind}:${c.userid}`) });
    }
    const taken = await this.d.store.takenKeys(wanted.flatMap((w) => w.keys));
    const open = wanted.filter((w) => w.keys.some((k) => !taken.has(k)));
    const waiting = await this.d.store.withPendingRequest(open.map((w) => w.id));
    const orders = new Map((await this.d.views.byIds(open.map((w) => w.id))).map((o) => [o.id, o]));
    for (const w of open) {
      const o = orders.get(w.id);
      if (!o || !o.dueAt || waiting.has(w.id)) continue;
      let sent = 0;
      const text = await this.d.templates.render(w.kind === 'due_day' ? 'remind.due_day' : 'remind.before', {
        code: o.code,
        target: o.target,
        due: this.due(o),
      });
      await this.d.db.transaction(async (trx) => {
        for (const [n, c] of w.to.entries()) {
          const m = await this.d.messenger.send({ key: w.keys[n], touser: c.userid, purpose: 'reminder', workOrderId: o.id, contactId: c.id, message: text }, trx);
          if (m.created) sent++;
        }
        if (sent) {
          await this.d.events.append(
            { type: 'work_order.reminded', actor: 'system', at, workOrderId: o.id, noticeId: o.noticeId, unitId: o.unitId, data: { kind: w.kind, dueAt: o.dueAt!.toISOString(), to: w.to.map((c) => c.userid) } },
            trx,
          );
        }
      });
      if (sent) {
        report.reminders += sent;
        report.orders++;
      }
    }
    return report;
  }

  // -------------------------------------------------------------------------- overdue ladder

  private async ladderContacts(role: LadderRole, unitId: number | null): Promise<Contact[]> {
    if (unitId === null) return role === 'supervisor' ? this.d.contacts.admins() : [];
    if (role === 'primary') return this.d.contacts.primaries(unitId);
    if (role === 'supervisor') return this.d.contacts.reviewersOf(unitId);
    return (await this.d.contacts.list({ unitId, role })).filter((c) => c.reachable);
  }

  /**
   * Walks every overdue order up its ladder: each step whose time has come is sent to that
   * step's people (through the outbox, one key per order, deadline, step and person), recorded
   * on the order and in its overdue escalation, and logged. A reply (or any state that no longer
   * waits for the unit) stops the ladder, and its escalation is closed.
   */
  async escalate(at: Date): Promise<LadderReport> {
    const s = await this.d.settings.get();
    const calendar = await this.d.calendar.get();
    const report: LadderReport = { steps: 0, messages: 0, steps_without_contact: 0, ladders_closed: 0 };
    report.ladders_closed = await this.d.store.closeStoppedLadders(AWAITING, at);
    let after = 0;
    for (;;) {
      const batch = await this.d.store.overdueOpen(AWAITING, at, BATCH, after);
      if (!batch.length) break;
      after = batch[batch.length - 1].id;
      // The steps due are found from the deadlines and the steps reached (one lookup); only the
      // orders with a step to take now are loaded.
      const keyOf = (b: { id: number; dueAt: Date }) => `overdue:${b.id}:${b.dueAt.getTime()}`;
      const reached = await this.d.store.ladderSteps(batch.map(keyOf));
      const climbing = new Map<number, { key: string; steps: number[] }>();
      for (const b of batch) {
        const steps = dueLadderSteps(ladderSchedule(s.ladder, b.dueAt, calendar, this.d.zone, s.quietHours), at, reached.get(keyOf(b)) ?? 0);
        if (steps.length) climbing.set(b.id, { key: keyOf(b), steps });
      }
      for (const o of await this.d.views.byIds([...climbing.keys()])) {
        const c = climbing.get(o.id)!;
        await this.climb(o, c.key, c.steps, at, s.ladder, calendar, report);
      }
      if (batch.length < BATCH) break;
    }
    return report;
  }

  private async climb(o: OrderView, key: string, steps: number[], at: Date, ladder: LadderStep[], calendar: WorkCalendar, report: LadderReport): Promise<void> {
    if (!o.dueAt) return;
    const days = calendar.workingDaysBetween(businessDate(o.dueAt, this.d.zone), businessDate(at, this.d.zone));
    for (const k of steps) {
      const role = ladder[k - 1].role;
      const to = uniqueByUserid(await this.ladderContacts(role, o.unitId));
      const text = await this.d.templates.render(`ladder.${role}`, {
        code: o.code,
        target: o.target,
        unit: o.unitName ?? '（未识别单位）',
        due: this.due(o),
        days,
      });
      await this.d.db.transaction(async (trx) => {
        let sent = 0;
        for (const c of to) {
          const m = await this.d.messenger.send(
            { key: `ladder:${o.id}:${o.dueAt!.getTime()}:${k}:${c.userid}`, touser: c.userid, purpose: 'ladder', workOrderId: o.id, contactId: c.id, message: text },
            trx,
          );
          if (m.created) sent++;
        }
        await this.d.store.recordLadderStep({ key, workOrderId: o.id, unitId: o.unitId, noticeId: o.noticeId, step: k, at }, trx);
        await this.d.events.append(
          {
            type: to.length ? 'work_order.escalated' : 'work_order.escalation_skipped',
            actor: 'system',
            at,
            workOrderId: o.id,
            noticeId: o.noticeId,
            unitId: o.unitId,
            data: {
              step: k,
              role,
              role_label: LADDER_ROLE_LABELS[role],
              to: to.map((c) => c.userid),
              working_days_overdue: days,
              ...(to.length ? {} : { reason: `没有可送达的${LADDER_ROLE_LABELS[role]}` }),
            },
          },
          trx,
        );
        report.messages += sent;
      });
      report.steps++;
      if (!to.length) {
        report.steps_without_contact++;
        this.d.logger.warn({ workOrder: o.code, step: k, role }, `工单 ${o.code} 逾期升级第 ${k} 级：没有可送达的${LADDER_ROLE_LABELS[role]}，已跳过`);
      }
    }
  }

  /**
   * Whether a queued reminder or ladder step is still wanted when its turn to be sent comes:
   * a reason (Chinese) when its order no longer waits for the unit, or has a new deadline.
   */
  async obsolete(row: { purpose: string; idempotencyKey: string; workOrderId: number | null }): Promise<string | null> {
    if ((row.purpose !== 'reminder' && row.purpose !== 'ladder') || row.workOrderId === null) return null;
    const m = /^(?:remind|ladder):\d+:(\d+):/.exec(row.idempotencyKey);
    const o = await this.d.db('work_orders').where({ id: row.workOrderId }).first('state', 'due_at');
    if (!o) return null;
    if (!(AWAITING as string[]).includes(o.state) || (row.purpose === 'reminder' && o.state !== 'notified')) {
      return `工单已不在待整改状态（${o.state}），不再发送${row.purpose === 'reminder' ? '到期提醒' : '逾期升级'}`;
    }
    if (m && o.due_at !== null && Number(o.due_at) !== Number(m[1])) return '工单的整改期限已变更，不再发送按原期限的提醒';
    return null;
  }

  // --------------------------------------------------------------------------- repeat offenders

  private repeatSubject(e: RepeatOffenderView): string {
    if (e.kind === 'repeat_unit') return `单位“${e.unitName ?? '—'}”`;
    const kind = TARGET_KINDS[e.targetKind as keyof typeof TARGET_KINDS] ?? '对象';
    return `${kind}“${e.targetName ?? '—'}”${e.platform ? `（${e.platform}）` : ''}`;
  }

  private async repeatText(e: RepeatOffenderView): Promise<string> {
    const common = {
      unit: e.unitName ?? '（未识别单位）',
      year: e.year ?? '',
      count: e.count ?? '',
      notice_title: e.noticeTitle ?? e.docNo ?? '',
      doc_no: e.docNo ?? '',
      action: e.proposedAction ?? '约谈',
    };
    if (e.kind === 'repeat_unit') return this.d.templates.render('repeat.unit', common);
    return this.d.templates.render('repeat.target', {
      ...common,
      kind: TARGET_KINDS[e.targetKind as keyof typeof TARGET_KINDS] ?? '对象',
      target: e.targetName ?? '—',
      platform: e.platform ?? '—',
    });
  }

  /**
   * Delivers each new repeat-offender escalation once, to the unit's supervisors and to the
   * admins. It stays on the digests until an admin records the action taken.
   */
  async deliverRepeatOffenders(at: Date): Promise<RepeatReport> {
    const report: RepeatReport = { delivered: 0, messages: 0 };
    const admins = await this.d.contacts.admins();
    for (const e of await this.d.store.undeliveredRepeats(BATCH)) {
      const sup = e.unitId === null ? [] : await this.d.contacts.supervisorsOf(e.unitId);
      const to = uniqueByUserid([...sup, ...admins]);
      if (!to.length) {
        // It stays undelivered, and goes out once a supervisor or admin is added; said once here.
        if (!this.undeliverable.has(e.id)) {
          this.undeliverable.add(e.id);
          this.d.logger.error({ escalation: e.id }, `重复通报升级（${this.repeatSubject(e)}）没有可通知的督办人或管理员，待补充联系人后发送`);
        }
        continue;
      }
      const text = await this.repeatText(e);
      await this.d.db.transaction(async (trx) => {
        if (!(await this.d.store.markDelivered(e.id, at, trx))) return;
        for (const c of to) {
          const m = await this.d.messenger.send({ key: `repeat:${e.id}:${c.userid}`, touser: c.userid, purpose: 'repeat_offender', contactId: c.id, message: text }, trx);
          if (m.created) report.messages++;
        }
        await this.d.events.append(
          { type: 'escalation.delivered', actor: 'system', at, unitId: e.unitId, noticeId: e.noticeId, data: { escalation_id: e.id, kind: e.kind, proposed_action: e.proposedAction, to: to.map((c) => c.userid) } },
          trx,
        );
        report.delivered++;
      });
    }
    return report;
  }

  // ------------------------------------------------------------------------------------ digests

  /** The digest text for these units (null: city-wide), or null when there is nothing to say. */
  async digestText(unitIds: number[] | null, at: Date, admin: boolean): Promise<string | null> {
    const calendar = await this.d.calendar.get();
    const today = businessDate(at, this.d.zone);
    const endOfDay = DateTime.fromISO(today, { zone: this.d.zone }).plus({ days: 1 }).toJSDate();
    const LIMIT = 10;
    const overdue = await this.d.store.overdueOf(unitIds, AWAITING, at, LIMIT);
    const dueToday = await this.d.store.dueOf(unitIds, ['notified'], at, endOfDay, LIMIT);
    const pending = await this.d.views.pendingReplies(unitIds);
    const repeats = await this.d.store.openRepeats(unitIds, LIMIT);
    if (!overdue.total && !dueToday.total && !pending.length && !repeats.total) return null;

    const overdueOrders = await this.d.views.byIds(overdue.ids);
    const dueOrders = await this.d.views.byIds(dueToday.ids);
    const t = this.d.templates;
    const sections: { head: string; lines: string[]; total: number }[] = [];
    if (overdue.total) {
      sections.push({
        head: await t.render('digest.overdue', { count: overdue.total }),
        total: overdue.total,
        lines: await Promise.all(
          overdueOrders.map((o, i) =>
            t.render('digest.overdue_line', {
              n: i + 1,
              code: o.code,
              unit: o.unitName ?? '—',
              target: o.target,
              days: Math.max(1, calendar.workingDaysBetween(businessDate(o.dueAt!, this.d.zone), today)),
            }),
          ),
        ),
      });
    }
    if (dueToday.total) {
      sections.push({
        head: await t.render('digest.due_today', { count: dueToday.total, cutoff: this.d.cutoff }),
        total: dueToday.total,
        lines: await Promise.all(dueOrders.map((o, i) => t.render('digest.due_line', { n: i + 1, code: o.code, unit: o.unitName ?? '—', target: o.target }))),
      });
    }
    if (pending.length) {
      const late = await t.render('reply.late');
      sections.push({
        head: await t.render('digest.pending', { count: pending.length }),
        total: pending.length,
        lines: await Promise.all(
          pending.slice(0, LIMIT).map((p, i) =>
            t.render('digest.pending_line', { n: i + 1, code: p.order.code, unit: p.order.unitName ?? '—', kind: REPLY_KIND_LABELS[p.kind], late: p.late ? late : '' }),
          ),
        ),
      });
    }
    if (repeats.total) {
      sections.push({
        head: await t.render('digest.repeat', { count: repeats.total }),
        total: repeats.total,
        lines: await Promise.all(
          repeats.items.map((e, i) =>
            t.render('digest.repeat_line', { n: i + 1, subject: this.repeatSubject(e), year: e.year ?? '', count: e.count ?? '', action: e.proposedAction ?? '约谈' }),
          ),
        ),
      });
    }
    const header = await t.render(admin ? 'digest.header_admin' : 'digest.header', { date: formatInstantZh(at, this.d.zone).replace(/\s*\d\d:\d\d$/, '') });
    const url = this.d.links ? consoleLink(this.d.links, CONSOLE_PAGES.home) : null;
    const footer = await t.render('digest.footer', { link: url ? `\n在控制台查看：${url}` : '' });
    // Fewer lines per section until the text fits one WeCom message.
    for (const per of [LIMIT, 6, 4, 2, 1, 0]) {
      const parts = [header];
      for (const s of sections) {
        parts.push(s.head, ...s.lines.slice(0, per));
        const more = s.total - Math.min(per, s.lines.length);
        if (more > 0) parts.push(await t.render('digest.more', { count: more }));
      }
      parts.push(footer);
      const text = parts.join('\n');
      if (Buffer.byteLength(text, 'utf8') <= DIGEST_MAX_BYTES || per === 0) return text;
    }
    return null;
  }

  /** Each supervisor's digest of its units, and the admins' city-wide one; nothing when there is nothing to say. */
  async digests(at: Date): Promise<DigestReport> {
    const report: DigestReport = { supervisors: 0, admins: 0 };
    const today = businessDate(at, this.d.zone);
    const admins = uniqueByUserid(await this.d.contacts.admins());
    const adminIds = new Set(admins.map((a) => a.userid));
    const supervisors = (await this.d.contacts.list({ role: 'supervisor' })).filter((c) => c.reachable && !adminIds.has(c.userid));
    const byUser = new Map<string, Contact[]>();
    for (const c of supervisors) byUser.set(c.userid, [...(byUser.get(c.userid) ?? []), c]);
    const send = async (userid: string, contact: Contact, text: string, scope: string) => {
      const m = await this.d.messenger.send({ key: `digest:${today}:${userid}`, touser: userid, purpose: 'digest', contactId: contact.id, message: text });
      if (m.created) await this.d.events.append({ type: 'digest.sent', actor: 'system', at, contactId: contact.id, data: { date: today, userid, scope } });
      return m.created;
    };
    for (const [userid, contacts] of byUser) {
      const units = await this.d.contacts.supervisedUnitIds(contacts);
      if (!units.length) continue;
      const text = await this.digestText(units, at, false);
      if (text && (await send(userid, contacts[0], text, 'units'))) report.supervisors++;
    }
    if (admins.length) {
      const text = await withYearEndWarning(
        await this.digestText(null, at, true),
        missingNextYear(await this.d.calendar.get(), at, this.d.zone),
        this.d.templates,
        () => this.d.templates.render('digest.header_admin', { date: formatInstantZh(at, this.d.zone).replace(/\s*\d\d:\d\d$/, '') }),
      );
      if (text) for (const a of admins) if (await send(a.userid, a, text, 'city')) report.admins++;
    }
    return report;
  }
}
