/** Where the calendar's overrides and loaded year arrangements live. */
import { table } from '../../db/tables';
import type { Knex } from 'knex';
import { toBool } from '../../db/knex';
import type { CalendarOverride, YearArrangement } from './calendar';
import type { EventLog } from '../events/events';

export interface CalendarStore {
  listOverrides(): Promise<CalendarOverride[]>;
  setOverride(o: CalendarOverride, actor: string, at: Date): Promise<void>;
  /** Removes an override (the event log keeps what it was). Returns false if there was none. */
  removeOverride(date: string, actor: string, at: Date): Promise<boolean>;
  listArrangements(): Promise<YearArrangement[]>;
  /** Stores a year's arrangement, replacing any earlier one for that year. */
  saveArrangement(a: YearArrangement, source: string, actor: string, at: Date): Promise<void>;
}

export class KnexCalendarStore implements CalendarStore {
  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
  ) {}

  async listOverrides(): Promise<CalendarOverride[]> {
    const rows = await table(this.db, 'calendar_overrides').orderBy('date');
    return rows.map((r) => ({ date: r.date, workday: toBool(r.workday), reason: r.reason }));
  }

  async setOverride(o: CalendarOverride, actor: string, at: Date): Promise<void> {
    await this.db.transaction(async (trx) => {
      const now = at.getTime();
      await table(trx, 'calendar_overrides')
        .insert({ date: o.date, workday: o.workday, reason: o.reason, created_by: actor, created_at: now, updated_at: now })
        .onConflict('date')
        .merge({ workday: o.workday, reason: o.reason, created_by: actor, updated_at: now });
      await this.events.append(
        { type: 'calendar.override_set', actor, at, data: { date: o.date, workday: o.workday, reason: o.reason } },
        trx,
      );
    });
  }

  async removeOverride(date: string, actor: string, at: Date): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const existing = await table(trx, 'calendar_overrides').where({ date }).first();
      if (!existing) return false;
      await table(trx, 'calendar_overrides').where({ date }).del();
      await this.events.append(
        {
          type: 'calendar.override_removed',
          actor,
          at,
          data: { date, workday: toBool(existing.workday), reason: existing.reason },
        },
        trx,
      );
      return true;
    });
  }

  async listArrangements(): Promise<YearArrangement[]> {
    const years = await table(this.db, 'calendar_years').orderBy('year');
    const days = await table(this.db, 'calendar_days').orderBy('date');
    return years.map((y) => ({
      year: Number(y.year),
      days: days
        .filter((d) => Number(d.year) === Number(y.year))
        .map((d) => ({ date: d.date, offDay: toBool(d.off_day), name: d.name })),
    }));
  }

  async saveArrangement(a: YearArrangement, source: string, actor: string, at: Date): Promise<void> {
    await this.db.transaction(async (trx) => {
      // Another year's file may have claimed one of these dates (元旦 starting on Dec 31).
      await table(trx, 'calendar_days').whereIn('date', a.days.map((d) => d.date)).del();
      await table(trx, 'calendar_days').where({ year: a.year }).del();
      await table(trx, 'calendar_years')
        .insert({ year: a.year, source, loaded_by: actor, loaded_at: at.getTime() })
        .onConflict('year')
        .merge({ source, loaded_by: actor, loaded_at: at.getTime() });
      for (let i = 0; i < a.days.length; i += 200) {
        await table(trx, 'calendar_days').insert(
          a.days.slice(i, i + 200).map((d) => ({ year: a.year, date: d.date, off_day: d.offDay, name: d.name })),
        );
      }
      await this.events.append(
        {
          type: 'calendar.arrangement_loaded',
          actor,
          at,
          data: { year: a.year, source, days: a.days.length },
        },
        trx,
      );
    });
  }
}
