/**
 * Provisional deadlines after a year's arrangement is loaded. An order notified with a deadline
 * counted over provisional days (work_orders.due_provisional) is recomputed by the rule that set
 * it — the notify event keeps it: the rule's amount, unit and cutoff, and the earliest the
 * deadline may be (a rejected order's previous one) — from the instant it was notified, on the
 * calendar as it is now. Where the due instant moves, the order gets the new one with an event
 * on its timeline, and, while it waits for the unit's rectification, the unit's primary contacts
 * are told once (outbox keys carry the new instant). Where it does not move the mark is cleared
 * and logged. An order whose deadline still reaches past the data (a later year loaded first)
 * keeps its mark.
 *
 * The load (CLI, console) calls recompute() at once. The notify job calls recomputeStale() each
 * run: it picks up an order whose provisional deadline falls in a year that now has data — one
 * notified by another instance whose calendar snapshot was still the old one, or left behind by
 * a load whose recompute did not finish — through one indexed lookup when there is none.
 */
import { table } from '../../db/tables';
import type { Knex } from 'knex';
import { parseJson } from '../../db/knex';
import type { Logger } from '../../logger';
import { CalendarDataMissingError, type WorkCalendar } from '../calendar/calendar';
import type { CalendarService } from '../calendar/service';
import { businessDate, formatInstantZh, instantAt, yearOf } from '../calendar/dates';
import type { OrderMessaging } from '../conversation/parts';
import type { OrderView } from '../conversation/views';
import { formatDueZh } from '../messages/due';
import { CLOSED_STATES } from '../workorders/states';
import { computeDueDetailed, decideDeadline, type DeadlineSettings, type DeadlineSpec } from './deadline';
import type { WorkOrderStore } from '../workorders/store';
import type { DeadlineRuleStore } from './rules';

export const RECOMPUTED_PURPOSE = 'due_recomputed';

export interface RecomputeReport {
  /** Open orders that had a provisional deadline. */
  checked: number;
  /** Their due instant moved (timeline event; the unit told where it waits on the unit). */
  changed: number;
  /** Unchanged: the mark was cleared. */
  confirmed: number;
  /** Still reaching past the data: left provisional. */
  still_provisional: number;
  /** Units told of a moved deadline (messages queued). */
  messages: number;
}

export interface ProvisionalDeps extends OrderMessaging {
  db: Knex;
  workOrders: WorkOrderStore;
  calendar: CalendarService;
  rules: DeadlineRuleStore;
  logger: Logger;
  settings: DeadlineSettings;
}

interface NotifyRecord {
  notifiedAt: Date;
  spec: DeadlineSpec | null;
  notBefore: Date | null;
}

export class ProvisionalDeadlines {
  constructor(private readonly d: ProvisionalDeps) {}

  /** Recomputes every open order with a provisional deadline (after an arrangement was loaded). */
  async recompute(actor: string): Promise<RecomputeReport> {
    return this.run(actor, await this.d.calendar.reload(), null);
  }

  /** Recomputes the open orders whose provisional deadline falls before the provisional year (a year with data now). */
  async recomputeStale(actor = 'system'): Promise<RecomputeReport> {
    const calendar = await this.d.calendar.get();
    const year = calendar.provisionalYear();
    const before = year === null ? null : instantAt(`${year}-01-01`, '00:00', this.d.settings.zone);
    const any = before && (await this.openProvisional().where('due_at', '<', before.getTime()).first('id'));
    if (!any) return { checked: 0, changed: 0, confirmed: 0, still_provisional: 0, messages: 0 };
    return this.run(actor, calendar, before);
  }

  private openProvisional() {
    return table(this.d.db, 'work_orders').where('due_provisional', true).whereNotIn('state', [...CLOSED_STATES]);
  }

  private async run(actor: string, calendar: WorkCalendar, dueBefore: Date | null): Promise<RecomputeReport> {
    const report: RecomputeReport = { checked: 0, changed: 0, confirmed: 0, still_provisional: 0, messages: 0 };
    let afterId = 0;
    for (;;) {
      const q = this.openProvisional();
      if (dueBefore) q.where('due_at', '<', dueBefore.getTime());
      const rows: { id: unknown }[] = await q
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(200)
        .select('id');
      if (!rows.length) break;
      for (const r of rows) {
        afterId = Number(r.id);
        const o = await this.d.views.get(afterId);
        if (!o || !o.dueAt || !o.dueProvisional) continue;
        report.checked++;
        await this.recomputeOne(o, calendar, actor, report);
      }
    }
    if (report.checked) this.d.logger.info({ ...report }, '节假日安排导入后，暂定期限已重新计算');
    return report;
  }

  private async recomputeOne(o: OrderView, calendar: WorkCalendar, actor: string, report: RecomputeReport): Promise<void> {
    // The year whose arrangement decides it: the provisional deadline's year.
    const year = yearOf(businessDate(o.dueAt!, this.d.settings.zone));
    let next: { due: Date; provisional: boolean };
    try {
      next = await this.decide(o, calendar);
    } catch (e) {
      if (!(e instanceof CalendarDataMissingError)) throw e;
      // The deadline reaches a year that is neither covered nor provisional now: leave it as it is.
      this.d.logger.warn({ workOrder: o.code, year: e.year }, `工单 ${o.code} 的暂定期限暂无法重算：${e.message}`);
      report.still_provisional++;
      return;
    }
    const old = o.dueAt!;
    const now = this.d.clock.now();
    if (next.due.getTime() === old.getTime()) {
      if (next.provisional) {
        report.still_provisional++;
        return;
      }
      const n = (await this.d.workOrders.confirmProvisionalDue(o.id, old, now)) ? 1 : 0;
      if (n === 1) {
        report.confirmed++;
        this.d.logger.info({ workOrder: o.code, dueAt: old.toISOString(), year }, `工单 ${o.code} 的暂定期限经${year}年安排核实不变`);
      }
      return;
    }
    const zone = this.d.settings.zone;
    const tell = o.state === 'notified' && o.unitId !== null ? await this.d.contacts.primaries(o.unitId) : [];
    const text = tell.length
      ? await this.d.templates.render('deadline.recomputed', {
          year,
          code: o.code,
          target: o.target,
          old_due: formatInstantZh(old, zone),
          due: formatDueZh(next.due, next.provisional, zone),
        })
      : '';
    await this.d.db.transaction(async (trx) => {
      const n = (await this.d.workOrders.moveProvisionalDue(o.id, o.version, next, now, trx)) ? 1 : 0;
      if (n !== 1) return; // changed meanwhile (another instance recomputed it, or the order moved on)
      await this.d.events.append(
        {
          type: 'work_order.due_changed',
          actor,
          at: now,
          workOrderId: o.id,
          noticeId: o.noticeId,
          unitId: o.unitId,
          data: { reason: 'calendar_arrangement', year, from: old.getTime(), to: next.due.getTime(), provisional: next.provisional },
        },
        trx,
      );
      report.changed++;
      for (const c of tell) {
        const sent = await this.d.messenger.send(
          {
            key: `due_recomputed:${o.id}:${next.due.getTime()}:${c.userid}`,
            touser: c.userid,
            purpose: RECOMPUTED_PURPOSE,
            workOrderId: o.id,
            contactId: c.id,
            message: text,
          },
          trx,
        );
        if (sent.created) report.messages++;
      }
    });
  }

  /** The deadline by the rule that set it, from when the order was notified, on `calendar`. */
  private async decide(o: OrderView, calendar: WorkCalendar): Promise<{ due: Date; provisional: boolean }> {
    const rec = await this.notifyRecord(o);
    if (rec?.spec) {
      const r = computeDueDetailed(rec.notifiedAt, rec.spec, calendar, this.d.settings);
      if (rec.notBefore && rec.notBefore.getTime() > r.due.getTime()) return { due: rec.notBefore, provisional: false };
      return r;
    }
    // No record of the rule (not expected: the mark is set with one): decide as for a new notice.
    const d = decideDeadline(
      {
        notifiedAt: rec?.notifiedAt ?? o.notifiedAt ?? this.d.clock.now(),
        dueOnOverride: o.dueOnOverride,
        noticeReportDueOn: o.noticeReportDueOn,
        source: o.noticeSource,
        targetKind: o.targetKind,
        categories: o.problems.map((p) => p.category),
      },
      await this.d.rules.list(),
      calendar,
      this.d.settings,
    );
    return { due: d.due, provisional: d.provisional };
  }

  private async notifyRecord(o: OrderView): Promise<NotifyRecord | null> {
    const e = await table(this.d.db, 'events').where({ work_order_id: o.id, type: 'work_order.notify' }).orderBy('id', 'desc').first('at', 'data');
    if (!e) return null;
    const data = parseJson<{ dueSpec?: DeadlineSpec | null; dueNotBefore?: number | null }>(e.data, {});
    return {
      notifiedAt: new Date(Number(e.at)),
      spec: data.dueSpec ?? null,
      notBefore: data.dueNotBefore ? new Date(Number(data.dueNotBefore)) : null,
    };
  }
}
