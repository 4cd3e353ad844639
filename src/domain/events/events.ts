/**
 * The append-only event log: every state change and every message in and out.
 * Rows are only ever inserted.
 */
import { table, type EventRow } from '../../db/tables';
import type { Knex } from 'knex';
import { parseJson } from '../../db/knex';

export interface NewEvent {
  type: string;
  actor: string;
  at: Date;
  workOrderId?: number | null;
  noticeId?: number | null;
  unitId?: number | null;
  contactId?: number | null;
  data?: Record<string, unknown>;
}

export interface StoredEvent extends Required<Omit<NewEvent, 'data'>> {
  id: number;
  data: Record<string, unknown>;
}

export interface EventFilter {
  workOrderId?: number;
  noticeId?: number;
  type?: string;
  limit?: number;
}

export interface EventLog {
  append(event: NewEvent, trx?: Knex.Transaction): Promise<number>;
  /** Appends many events in few statements (bulk imports). */
  appendMany(events: NewEvent[], trx?: Knex.Transaction): Promise<void>;
  list(filter: EventFilter): Promise<StoredEvent[]>;
}

function eventRow(event: NewEvent) {
  return {
    at: event.at.getTime(),
    type: event.type,
    actor: event.actor,
    work_order_id: event.workOrderId ?? null,
    notice_id: event.noticeId ?? null,
    unit_id: event.unitId ?? null,
    contact_id: event.contactId ?? null,
    data: event.data ? JSON.stringify(event.data) : null,
  };
}

export class KnexEventLog implements EventLog {
  constructor(private readonly db: Knex) {}

  async append(event: NewEvent, trx?: Knex.Transaction): Promise<number> {
    const [row] = await table(trx ?? this.db, 'events').insert(eventRow(event)).returning('id');
    return typeof row === 'object' ? Number(row.id) : Number(row);
  }

  async appendMany(events: NewEvent[], trx?: Knex.Transaction): Promise<void> {
    const db = trx ?? this.db;
    for (let i = 0; i < events.length; i += 500) {
      await table(db, 'events').insert(events.slice(i, i + 500).map(eventRow));
    }
  }

  async list(filter: EventFilter): Promise<StoredEvent[]> {
    const q = table(this.db, 'events').orderBy('id', 'asc');
    if (filter.workOrderId !== undefined) q.where('work_order_id', filter.workOrderId);
    if (filter.noticeId !== undefined) q.where('notice_id', filter.noticeId);
    if (filter.type !== undefined) q.where('type', filter.type);
    if (filter.limit !== undefined) q.limit(filter.limit);
    const rows = await q;
    return rows.map(eventFromRow);
  }
}

/** An event row as the log gives it back. */
export function eventFromRow(r: EventRow): StoredEvent {
  return {
    id: Number(r.id),
    type: r.type,
    actor: r.actor,
    at: new Date(Number(r.at)),
    workOrderId: r.work_order_id,
    noticeId: r.notice_id,
    unitId: r.unit_id,
    contactId: r.contact_id,
    data: parseJson<Record<string, unknown>>(r.data, {}),
  };
}
