/** Read model of the calendar's provenance for the console: loaded year arrangements and overrides, with who set them and when. */
import { table } from '../../db/tables';
import type { Knex } from 'knex';
import { toBool } from '../../db/knex';

export interface LoadedArrangement {
  year: number;
  source: string | null;
  loadedBy: string | null;
  loadedAt: Date;
}

export interface OverrideRecord {
  date: string;
  workday: boolean;
  reason: string;
  createdBy: string | null;
  updatedAt: Date;
}

export class CalendarReadModel {
  constructor(private readonly db: Knex) {}

  async loaded(): Promise<{ arrangements: LoadedArrangement[]; overrides: OverrideRecord[] }> {
    const [years, overrides] = await Promise.all([table(this.db, 'calendar_years').orderBy('year'), table(this.db, 'calendar_overrides').orderBy('date')]);
    return {
      arrangements: years.map((a) => ({
        year: Number(a.year),
        source: a.source ?? null,
        loadedBy: a.loaded_by ?? null,
        loadedAt: new Date(Number(a.loaded_at)),
      })),
      overrides: overrides.map((o) => ({
        date: o.date,
        workday: toBool(o.workday),
        reason: o.reason,
        createdBy: o.created_by ?? null,
        updatedAt: new Date(Number(o.updated_at)),
      })),
    };
  }
}
