/** Read model of the event log for the console: filtered pages, newest first. */
import { table } from '../../db/tables';
import type { Knex } from 'knex';
import { eventFromRow, type StoredEvent } from '../events/events';

export interface EventPageFilter {
  /** A type or a dotted prefix of types ("calendar" matches "calendar.override_set"). */
  type?: string;
  actor?: string;
  workOrderId?: number;
  noticeId?: number;
  page: number;
  pageSize: number;
}

export class EventReadModel {
  constructor(private readonly db: Knex) {}

  async page(filter: EventPageFilter): Promise<{ items: StoredEvent[]; total: number }> {
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
      items: rows.map(eventFromRow),
      total: Number(c?.n ?? 0),
    };
  }
}
