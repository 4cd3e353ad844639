/** Read model of the event log for the console: filtered pages, newest first. */
import { table } from '../../db/tables';
import type { Knex } from 'knex';
import { parseJson } from '../../db/knex';

export interface EventPageFilter {
  /** A type or a dotted prefix of types ("calendar" matches "calendar.override_set"). */
  type?: string;
  actor?: string;
  workOrderId?: number;
  noticeId?: number;
  page: number;
  pageSize: number;
}

export interface EventPageRow {
  id: number;
  at: Date;
  type: string;
  actor: string;
  workOrderId: number | null;
  noticeId: number | null;
  unitId: number | null;
  contactId: number | null;
  data: Record<string, unknown>;
}

export class EventReadModel {
  constructor(private readonly db: Knex) {}

  async page(filter: EventPageFilter): Promise<{ items: EventPageRow[]; total: number }> {
    const base = () => {
      const q = table(this.db, 'events');
      const type = filter.type;
      if (type) q.where((w) => void w.where('type', type).orWhere('type', 'like', `${type}.%`));
      if (filter.actor) q.where('actor', filter.actor);
      if (filter.workOrderId) q.where('work_order_id', filter.workOrderId);
      if (filter.noticeId) q.where('notice_id', filter.noticeId);
      return q;
    };
    const [c] = await base().count({ n: '*' });
    const rows = await base().orderBy('id', 'desc').limit(filter.pageSize).offset((filter.page - 1) * filter.pageSize);
    return {
      items: rows.map((r) => ({
        id: Number(r.id),
        at: new Date(Number(r.at)),
        type: r.type,
        actor: r.actor,
        workOrderId: r.work_order_id ?? null,
        noticeId: r.notice_id ?? null,
        unitId: r.unit_id ?? null,
        contactId: r.contact_id ?? null,
        data: parseJson(r.data, {}),
      })),
      total: Number(c?.n ?? 0),
    };
  }
}
