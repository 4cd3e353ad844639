/**
 * Read models for the console: work-order lists with filters, one order's whole story, the
 * rows of the status exports, and the per-unit / per-jurisdiction dashboard. Every query takes
 * the caller's unit scope (null: all units) so supervisors only ever read their own units.
 */
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { CalendarDataMissingError, type WorkCalendar } from '../calendar/calendar';
import { businessDate } from '../calendar/dates';
import { parseJson, toBool } from '../../db/knex';
import { CATEGORIES, TARGET_KINDS, isCategory, isTargetKind } from '../problems/taxonomy';
import { AWAITING_UNIT_STATES, STATES, STATE_LABELS, type WorkOrderState } from '../workorders/states';

/** The columns of a work-order row with its notice, unit and target. */
const ORDER_COLUMNS = [
  'wo.*',
  'n.doc_no as n_doc_no',
  'n.title as n_title',
  'n.source as n_source',
  'n.report_due_on as n_report_due_on',
  'u.name as u_name',
  'u.jurisdiction as u_jurisdiction',
  't.kind as t_kind',
  't.name as t_name',
  't.platform as t_platform',
  't.address as t_address',
];

export interface WorkOrderFilter {
  noticeId?: number;
  unitId?: number;
  states?: WorkOrderState[];
  overdue?: boolean;
  kind?: string;
  category?: string;
  jurisdiction?: string;
  q?: string;
  /** Monitoring orders of this source. */
  source?: string;
  /** The platform's own work-order number (exact). */
  externalNo?: string;
  /** Only these orders (selection export). */
  ids?: number[];
  /** A saved view (queue); views that depend on the time read `clock`. */
  view?: ListView;
  /** The instant and the business day the time-dependent views and columns are counted at. */
  clock?: ListClock;
}

/** The saved views of the list, which are also the dashboard's queues. */
export const LIST_VIEWS = ['my_review', 'due_today', 'overdue', 'repeat'] as const;
export type ListView = (typeof LIST_VIEWS)[number];

export interface ListClock {
  now: Date;
  /** Start and end of the business day `now` falls in. */
  dayStart: Date;
  dayEnd: Date;
}

export const SORT_COLUMNS = ['id', 'notice', 'unit', 'target', 'problems', 'state', 'due_at', 'overdue_working_days', 'updated_at'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];
export interface ListSort {
  column: SortColumn;
  dir: 'asc' | 'desc';
}

/** States whose orders wait for the unit (they can be due today or overdue). */
const AWAITING_SQL = [...AWAITING_UNIT_STATES];

/** Unit ids the caller may read; null means every unit. */
export type ScopeIds = number[] | null;

export interface WorkOrderRow {
  id: number;
  code: string;
  state: WorkOrderState;
  state_label: string;
  notice: { id: number; doc_no: string; title: string | null; source: string | null; report_due_on: string | null };
  due_on_override: string | null;
  /** For orders not yet notified: the due instant if they were notified now (set by the API). */
  expected_due_at?: string | null;
  unit: { id: number | null; name: string | null; jurisdiction: string | null };
  target: { id: number; kind: string; kind_label: string; name: string; platform: string | null; address: string | null };
  due_at: string | null;
  /**
   * The deadline shown (due_at, or expected_due_at before notification) was counted over days of
   * a year whose holiday arrangement is not yet published: it will be recomputed when it is.
   */
  provisional: boolean;
  notified_at: string | null;
  replied_at: string | null;
  closed_at: string | null;
  overdue: boolean;
  replied_late: boolean;
  escalation_step: number;
  categories: { id: string; label: string }[];
  problems: string[];
  /** Monitoring orders: source, the platform's number and link, when it was received (null for a notice's orders). */
  source: string | null;
  external_no: string | null;
  external_url: string | null;
  received_at: string | null;
  /** Working days past the deadline for an order still waiting for the unit (0 otherwise); set by the API. */
  overdue_working_days?: number;
}

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());

export function applyUnitScope(q: Knex.QueryBuilder, scope: ScopeIds, column: string): Knex.QueryBuilder {
  if (scope !== null) q.whereIn(column, scope.length ? scope : [-1]);
  return q;
}

export class ReportStore {
  constructor(private readonly db: Knex) {}

  /** The work order a reply belongs to, or null when there is no such reply. */
  async orderOfReply(replyId: number): Promise<number | null> {
    const r = await this.db('replies').where({ id: replyId }).first('work_order_id');
    return r ? Number(r.work_order_id) : null;
  }

  private baseQuery(filter: WorkOrderFilter, scope: ScopeIds): Knex.QueryBuilder {
    const q = this.db('work_orders as wo')
      .join('notices as n', 'n.id', 'wo.notice_id')
      .join('targets as t', 't.id', 'wo.target_id')
      .leftJoin('units as u', 'u.id', 'wo.unit_id');
    applyUnitScope(q, scope, 'wo.unit_id');
    if (filter.noticeId !== undefined) q.where('wo.notice_id', filter.noticeId);
    if (filter.unitId !== undefined) q.where('wo.unit_id', filter.unitId);
    if (filter.states?.length) q.whereIn('wo.state', filter.states);
    if (filter.overdue !== undefined) q.where('wo.overdue', filter.overdue);
    if (filter.kind) q.where('t.kind', filter.kind);
    if (filter.jurisdiction) q.where('u.jurisdiction', filter.jurisdiction);
    if (filter.source) q.where('wo.source', filter.source);
    if (filter.externalNo) q.where('wo.external_no', filter.externalNo.trim());
    if (filter.ids) q.whereIn('wo.id', filter.ids.length ? filter.ids : [-1]);
    if (filter.view) this.applyView(q, filter.view, filter.clock);
    if (filter.category) {
      q.whereExists(this.db('problems as p').whereRaw('p.work_order_id = wo.id').where('p.category', filter.category).select(this.db.raw('1')));
    }
    if (filter.q?.trim()) {
      const like = `%${filter.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q.where((w) =>
        void w
          .whereRaw("wo.code like ? escape '\\'", [like])
          .orWhereRaw("t.name like ? escape '\\'", [like])
          .orWhereRaw("u.name like ? escape '\\'", [like]),
      );
    }
    return q;
  }

  private applyView(q: Knex.QueryBuilder, view: ListView, clock: ListClock | undefined): void {
    const needClock = () => {
      if (!clock) throw new Error(`view ${view} needs the clock`);
      return clock;
    };
    switch (view) {
      case 'my_review':
        q.whereExists(this.db('replies as rp').whereRaw('rp.work_order_id = wo.id').where('rp.review_state', 'pending').select(this.db.raw('1')));
        q.whereNotIn('wo.state', ['accepted', 'superseded', 'withdrawn']);
        return;
      case 'due_today': {
        const c = needClock();
        q.whereIn('wo.state', AWAITING_SQL).where('wo.due_at', '>=', c.dayStart.getTime()).where('wo.due_at', '<', c.dayEnd.getTime());
        return;
      }
      case 'overdue': {
        const c = needClock();
        q.whereIn('wo.state', AWAITING_SQL).whereNotNull('wo.due_at').where('wo.due_at', '<=', c.now.getTime());
        return;
      }
      case 'repeat':
        q.whereNotIn('wo.state', ['superseded', 'withdrawn']).whereExists(
          this.db('escalations as es')
            .where((w) =>
              void w
                .where((a) => void a.where('es.kind', 'repeat_target').whereRaw('es.target_id = wo.target_id'))
                .orWhere((b) => void b.where('es.kind', 'repeat_unit').whereRaw('es.unit_id = wo.unit_id')),
            )
            .select(this.db.raw('1')),
        );
        return;
    }
  }

  /** Order by a column; ties by id. Empty values last whichever the direction, on every database. */
  private applySort(q: Knex.QueryBuilder, sort: ListSort | undefined, clock: ListClock | undefined): void {
    if (!sort) {
      q.orderBy([{ column: 'wo.notice_id', order: 'desc' }, { column: 'wo.id', order: 'asc' }]);
      return;
    }
    const dir = sort.dir === 'desc' ? 'desc' : 'asc';
    const nullsLast = (expr: string) => {
      q.orderByRaw(`case when ${expr} is null then 1 else 0 end`);
      q.orderByRaw(`${expr} ${dir}`);
    };
    switch (sort.column) {
      case 'id':
        break;
      case 'notice':
        nullsLast('n.doc_no');
        break;
      case 'unit':
        nullsLast('u.name');
        break;
      case 'target':
        nullsLast('t.name');
        break;
      case 'problems':
        nullsLast('(select min(ps.category) from problems ps where ps.work_order_id = wo.id)');
        break;
      case 'state':
        q.orderByRaw(`case wo.state ${STATES.map((s, i) => `when '${s}' then ${i}`).join(' ')} else ${STATES.length} end ${dir}`);
        break;
      case 'due_at':
        nullsLast('wo.due_at');
        break;
      case 'updated_at':
        q.orderBy('wo.updated_at', dir);
        break;
      case 'overdue_working_days': {
        // More working days overdue ⇔ an earlier deadline, among the orders overdue now.
        const now = (clock?.now ?? new Date()).getTime();
        const overdueNow = `wo.state in (${AWAITING_SQL.map(() => '?').join(', ')}) and wo.due_at is not null and wo.due_at <= ?`;
        q.orderByRaw(`case when ${overdueNow} then 1 else 0 end ${dir}`, [...AWAITING_SQL, now]);
        q.orderByRaw(`case when ${overdueNow} then wo.due_at else null end ${dir === 'desc' ? 'asc' : 'desc'}`, [...AWAITING_SQL, now]);
        break;
      }
    }
    q.orderBy('wo.id', sort.column === 'id' ? dir : 'asc');
  }

  /** How many orders each saved view holds, in scope. */
  async queueCounts(scope: ScopeIds, clock: ListClock): Promise<Record<ListView, number>> {
    const out = {} as Record<ListView, number>;
    for (const view of LIST_VIEWS) {
      const [c] = await this.baseQuery({ view, clock }, scope).count({ n: 'wo.id' });
      out[view] = Number((c as { n: number | string }).n);
    }
    return out;
  }

  async listWorkOrders(
    filter: WorkOrderFilter,
    scope: ScopeIds,
    page: { page: number; pageSize: number } | null,
    sort?: ListSort,
  ): Promise<{ items: WorkOrderRow[]; total: number }> {
    const [c] = await this.baseQuery(filter, scope).count({ n: 'wo.id' });
    const total = Number((c as { n: number | string }).n);
    const q = this.baseQuery(filter, scope).select(...ORDER_COLUMNS);
    this.applySort(q, sort, filter.clock);
    if (page) q.limit(page.pageSize).offset((page.page - 1) * page.pageSize);
    const rows = await q;
    const problems = await this.problemsOf(rows.map((r: any) => Number(r.id)));
    return { items: rows.map((r: any) => this.row(r, problems.get(Number(r.id)) ?? [])), total };
  }

  private async problemsOf(ids: number[]): Promise<Map<number, { category: string; text: string }[]>> {
    const out = new Map<number, { category: string; text: string }[]>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db('problems').whereIn('work_order_id', ids.slice(i, i + 500)).orderBy(['work_order_id', 'position']);
      for (const p of rows) {
        const list = out.get(Number(p.work_order_id)) ?? [];
        list.push({ category: p.category, text: p.text });
        out.set(Number(p.work_order_id), list);
      }
    }
    return out;
  }

  private row(r: any, problems: { category: string; text: string }[]): WorkOrderRow {
    const cats = [...new Set(problems.map((p) => p.category))];
    return {
      id: Number(r.id),
      code: r.code,
      state: r.state,
      state_label: STATE_LABELS[r.state as WorkOrderState] ?? r.state,
      notice: { id: Number(r.notice_id), doc_no: r.n_doc_no, title: r.n_title ?? null, source: r.n_source ?? null, report_due_on: r.n_report_due_on ?? null },
      due_on_override: r.due_on_override ?? null,
      unit: { id: r.unit_id === null ? null : Number(r.unit_id), name: r.u_name ?? null, jurisdiction: r.u_jurisdiction ?? null },
      target: {
        id: Number(r.target_id),
        kind: r.t_kind,
        kind_label: isTargetKind(String(r.t_kind)) ? TARGET_KINDS[r.t_kind as keyof typeof TARGET_KINDS] : r.t_kind,
        name: r.t_name,
        platform: r.t_platform ?? null,
        address: r.t_address ?? null,
      },
      due_at: iso(r.due_at),
      provisional: r.due_at !== null && r.due_at !== undefined && toBool(r.due_provisional),
      notified_at: iso(r.notified_at),
      replied_at: iso(r.replied_at),
      closed_at: iso(r.closed_at),
      overdue: toBool(r.overdue),
      replied_late: toBool(r.replied_late),
      escalation_step: Number(r.escalation_step),
      categories: cats.map((id) => ({ id, label: isCategory(id) ? CATEGORIES[id] : id })),
      problems: problems.map((p) => p.text),
      source: r.source ?? null,
      external_no: r.external_no ?? null,
      external_url: r.external_url ?? null,
      received_at: iso(r.received_at),
    };
  }

  /** One order with its problems, replies, evidence and events; null if absent or out of scope. */
  async workOrderDetail(id: number, scope: ScopeIds) {
    const { items } = await this.listWorkOrdersById(id, scope);
    const order = items[0];
    if (!order) return null;
    const [problems, replies, evidence, events, woRow] = await Promise.all([
      this.db('problems').where({ work_order_id: id }).orderBy('position'),
      this.db('replies as r').leftJoin('contacts as c', 'c.id', 'r.contact_id').where('r.work_order_id', id).orderBy('r.id').select('r.*', 'c.name as c_name', 'c.wecom_userid as c_userid'),
      this.db('evidence').where({ work_order_id: id }).orderBy('id'),
      this.db('events').where({ work_order_id: id }).orderBy('id'),
      this.db('work_orders').where({ id }).first(),
    ]);
    const notice = await this.db('notices').where({ id: order.notice.id }).first();
    return {
      ...order,
      extra: parseJson<Record<string, unknown>>(woRow.extra, {}),
      notice: { ...order.notice, issued_on: notice.issued_on },
      problem_list: problems.map((p: any) => ({
        position: Number(p.position),
        category: p.category,
        category_label: isCategory(String(p.category)) ? CATEGORIES[p.category as keyof typeof CATEGORIES] : p.category,
        text: p.text,
      })),
      replies: replies.map((r: any) => ({
        id: Number(r.id),
        kind: r.kind,
        text: r.text ?? null,
        late: toBool(r.late),
        review_state: r.review_state,
        reviewed_by: r.reviewed_by ?? null,
        reviewed_at: iso(r.reviewed_at),
        review_comment: r.review_comment ?? null,
        requested_due_on: r.requested_due_on ?? null,
        contact: r.contact_id === null ? null : { id: Number(r.contact_id), name: r.c_name ?? null, userid: r.c_userid ?? null },
        created_at: iso(r.created_at),
      })),
      evidence: evidence.map((e: any) => ({
        id: Number(e.id),
        reply_id: e.reply_id === null ? null : Number(e.reply_id),
        kind: e.kind,
        mime: e.mime ?? null,
        size: e.size === null ? null : Number(e.size),
        text: e.text ?? null,
        has_file: Boolean(e.storage_path),
        url: e.storage_path ? `/api/evidence/${e.id}/file` : null,
        created_at: iso(e.created_at),
      })),
      events: events.map((e: any) => ({
        id: Number(e.id),
        at: iso(e.at),
        type: e.type,
        actor: e.actor,
        data: parseJson<Record<string, unknown>>(e.data, {}),
      })),
    };
  }

  private listWorkOrdersById(id: number, scope: ScopeIds) {
    return this.listWorkOrdersWhere((q) => void q.where('wo.id', id), scope);
  }

  private async listWorkOrdersWhere(extra: (q: Knex.QueryBuilder) => void, scope: ScopeIds) {
    const q = this.baseQuery({}, scope).select(...ORDER_COLUMNS);
    extra(q);
    const rows = await q;
    const problems = await this.problemsOf(rows.map((r: any) => Number(r.id)));
    return { items: rows.map((r: any) => this.row(r, problems.get(Number(r.id)) ?? [])), total: rows.length };
  }

  /** The latest reply of each order (for the 整改情况 column). */
  async latestReplies(ids: number[]): Promise<Map<number, { kind: string; text: string | null; review_state: string; created_at: number }>> {
    const out = new Map<number, { kind: string; text: string | null; review_state: string; created_at: number }>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db('replies').whereIn('work_order_id', ids.slice(i, i + 500)).orderBy('id');
      for (const r of rows) {
        out.set(Number(r.work_order_id), { kind: r.kind, text: r.text ?? null, review_state: r.review_state, created_at: Number(r.created_at) });
      }
    }
    return out;
  }

  /** Evidence row with its order's unit, for serving the file within scope. */
  async evidenceFile(id: number, scope: ScopeIds): Promise<{ path: string; mime: string | null } | null> {
    const q = this.db('evidence as e').join('work_orders as wo', 'wo.id', 'e.work_order_id').where('e.id', id).select('e.storage_path', 'e.mime');
    applyUnitScope(q, scope, 'wo.unit_id');
    const row = await q.first();
    if (!row || !row.storage_path) return null;
    return { path: row.storage_path, mime: row.mime ?? null };
  }

  /**
   * Per unit and per jurisdiction: orders (superseded and withdrawn ones left out), closed, open, overdue
   * (ever flagged), replied, replied on time. The on-time rate is replied-on-time over the
   * orders whose outcome is known (replied, or overdue without a reply); the overdue rate is
   * overdue over all orders.
   */
  async dashboard(filter: { noticeId?: number; year?: number }, scope: ScopeIds) {
    const q = this.db('work_orders as wo').leftJoin('units as u', 'u.id', 'wo.unit_id').join('notices as n', 'n.id', 'wo.notice_id').whereNotIn('wo.state', ['superseded', 'withdrawn']);
    applyUnitScope(q, scope, 'wo.unit_id');
    if (filter.noticeId !== undefined) q.where('wo.notice_id', filter.noticeId);
    if (filter.year !== undefined) q.whereBetween('n.issued_on', [`${filter.year}-01-01`, `${filter.year}-12-31`]);
    const rows = await q
      .select('wo.unit_id', 'u.name as unit_name', 'u.jurisdiction')
      .count({ total: '*' })
      .sum({ closed: this.db.raw("case when wo.state = 'accepted' then 1 else 0 end") })
      .sum({ overdue: this.db.raw('case when wo.overdue = ? then 1 else 0 end', [true]) })
      .sum({ replied: this.db.raw('case when wo.replied_at is not null then 1 else 0 end') })
      .sum({ on_time: this.db.raw('case when wo.replied_at is not null and wo.replied_late = ? then 1 else 0 end', [false]) })
      .sum({ overdue_unreplied: this.db.raw('case when wo.replied_at is null and wo.overdue = ? then 1 else 0 end', [true]) })
      .groupBy('wo.unit_id', 'u.name', 'u.jurisdiction')
      .orderBy('u.name');
    type Agg = { total: number; closed: number; overdue: number; replied: number; on_time: number; overdue_unreplied: number };
    const rates = (a: Agg) => {
      const known = a.replied + a.overdue_unreplied;
      return {
        ...a,
        open: a.total - a.closed,
        overdue_rate: a.total ? a.overdue / a.total : null,
        on_time_rate: known ? a.on_time / known : null,
      };
    };
    const num = (v: unknown) => Number(v ?? 0);
    const units = rows.map((r: any) => {
      const agg: Agg = { total: num(r.total), closed: num(r.closed), overdue: num(r.overdue), replied: num(r.replied), on_time: num(r.on_time), overdue_unreplied: num(r.overdue_unreplied) };
      return { unit_id: r.unit_id === null ? null : Number(r.unit_id), unit_name: r.unit_name ?? '（未知单位）', jurisdiction: r.jurisdiction ?? null, ...rates(agg) };
    });
    const byJ = new Map<string, Agg>();
    const totals: Agg = { total: 0, closed: 0, overdue: 0, replied: 0, on_time: 0, overdue_unreplied: 0 };
    for (const u of units) {
      const key = u.jurisdiction ?? '（未填辖区）';
      const a = byJ.get(key) ?? { total: 0, closed: 0, overdue: 0, replied: 0, on_time: 0, overdue_unreplied: 0 };
      for (const k of Object.keys(totals) as (keyof Agg)[]) {
        a[k] += u[k];
        totals[k] += u[k];
      }
      byJ.set(key, a);
    }
    return {
      totals: rates(totals),
      units,
      jurisdictions: [...byJ.entries()].sort((a, b) => a[0].localeCompare(b[0], 'zh-CN')).map(([jurisdiction, a]) => ({ jurisdiction, ...rates(a) })),
    };
  }
}

/** The instant and its business day, for the time-dependent views and columns. */
export function listClock(now: Date, zone: string): ListClock {
  const day = DateTime.fromJSDate(now, { zone }).startOf('day');
  return { now, dayStart: day.toJSDate(), dayEnd: day.plus({ days: 1 }).toJSDate() };
}

/**
 * Sets overdue_working_days on each row: working days from the deadline's business day to
 * today's, for an order still waiting for the unit whose deadline has passed (0 otherwise).
 */
export function withOverdueWorkingDays<T extends WorkOrderRow>(rows: T[], calendar: WorkCalendar, now: Date, zone: string): T[] {
  const today = businessDate(now, zone);
  for (const r of rows) {
    const due = r.due_at ? new Date(r.due_at) : null;
    if (!due || !AWAITING_UNIT_STATES.has(r.state) || due.getTime() > now.getTime()) {
      r.overdue_working_days = 0;
      continue;
    }
    try {
      r.overdue_working_days = calendar.workingDaysBetween(businessDate(due, zone), today);
    } catch (e) {
      if (!(e instanceof CalendarDataMissingError)) throw e;
      r.overdue_working_days = 0;
    }
  }
  return rows;
}
