/**
 * Read model of notices for the console: the list with each notice's order counts, one notice
 * with its orders counted by state, and the rows of a notice's status export. Every query takes
 * the caller's unit scope (null: all units); a scoped caller only sees notices with orders in
 * its units.
 */
import { table, type NoticeRow } from '../../db/tables';
import type { Knex } from 'knex';
import type { WorkOrderState } from '../workorders/states';
import { ReportStore, type ScopeIds, type WorkOrderRow } from './workorders';

export interface NoticeSummary {
  id: number;
  doc_no: string;
  title: string | null;
  issuer: string | null;
  issued_on: string;
  report_due_on: string | null;
  source: string | null;
  kind: string | null;
  status: string;
  replaced_by_id: number | null;
  file_name: string | null;
  created_at: string;
  /** Orders in the caller's scope, open ones among them and overdue ones. */
  work_orders: number;
  open: number;
  overdue: number;
}

export interface NoticeListFilter {
  status?: 'active' | 'replaced';
  /** Part of the document number or the title. */
  q?: string;
  page: number;
  pageSize: number;
}

/** A notice row with its order counts in scope (absent where it has none). */
type NoticeCountsRow = NoticeRow & { work_orders?: number | null; open?: number | null; overdue?: number | null };

function noticeSummary(r: NoticeCountsRow): NoticeSummary {
  return {
    id: Number(r.id),
    doc_no: r.doc_no,
    title: r.title ?? null,
    issuer: r.issuer ?? null,
    issued_on: r.issued_on,
    report_due_on: r.report_due_on ?? null,
    source: r.source ?? null,
    kind: r.kind ?? null,
    status: r.status,
    replaced_by_id: r.replaced_by_id ?? null,
    file_name: r.file_name ?? null,
    created_at: new Date(Number(r.created_at)).toISOString(),
    work_orders: Number(r.work_orders ?? 0),
    open: Number(r.open ?? 0),
    overdue: Number(r.overdue ?? 0),
  };
}

const scoped = (scope: number[]) => (scope.length ? scope : [-1]);

export class NoticeReadModel {
  private readonly reports: ReportStore;

  constructor(private readonly db: Knex) {
    this.reports = new ReportStore(db);
  }

  async list(filter: NoticeListFilter, scope: ScopeIds): Promise<{ items: NoticeSummary[]; total: number }> {
    const db = this.db;
    const base = () => {
      const q = db('notices as n');
      if (filter.status) q.where('n.status', filter.status);
      // A monitoring order's one-order notice is listed with the work orders, not here.
      q.whereNotExists(db('work_orders as mw').whereRaw('mw.notice_id = n.id').whereNotNull('mw.source').select(db.raw('1')));
      if (filter.q) q.where((w) => void w.where('n.doc_no', 'like', `%${filter.q}%`).orWhere('n.title', 'like', `%${filter.q}%`));
      if (scope) q.whereExists(db('work_orders as w').whereRaw('w.notice_id = n.id').whereIn('w.unit_id', scoped(scope)).select(db.raw('1')));
      return q;
    };
    const [c] = await base().count({ n: '*' });
    const stats = db('work_orders as w')
      .select('w.notice_id')
      .count({ work_orders: '*' })
      .sum({ open: db.raw("case when w.state in ('new','notified','replied','rejected') then 1 else 0 end") })
      .sum({ overdue: db.raw('case when w.overdue = ? and w.closed_at is null then 1 else 0 end', [true]) })
      .groupBy('w.notice_id');
    if (scope) stats.whereIn('w.unit_id', scoped(scope));
    const rows = await base()
      .leftJoin(stats.as('s'), 's.notice_id', 'n.id')
      .select<NoticeCountsRow[]>('n.*', 's.work_orders', 's.open', 's.overdue')
      .orderBy([{ column: 'n.issued_on', order: 'desc' }, { column: 'n.id', order: 'desc' }])
      .limit(filter.pageSize)
      .offset((filter.page - 1) * filter.pageSize);
    return { items: rows.map(noticeSummary), total: Number(c?.n ?? 0) };
  }

  /** One notice with its orders in scope counted by state; null if absent or out of scope. */
  async detail(id: number, scope: ScopeIds): Promise<{ notice: NoticeSummary; byState: Partial<Record<WorkOrderState, number>> } | null> {
    const n = await table(this.db, 'notices').where({ id }).first();
    if (!n) return null;
    const q = table(this.db, 'work_orders').where({ notice_id: id }).select('state').count({ n: '*' }).groupBy('state');
    if (scope) q.whereIn('unit_id', scoped(scope));
    const counts = (await q) as { state: string; n: number | string }[];
    if (scope && counts.length === 0) return null;
    const byState: Partial<Record<WorkOrderState, number>> = Object.fromEntries(counts.map((r) => [r.state, Number(r.n)]));
    const total = Object.values(byState).reduce((a, b) => a + b, 0);
    return { notice: noticeSummary({ ...n, work_orders: total }), byState };
  }

  /**
   * A notice's orders in scope and the latest reply of each, for the status export; null if
   * the notice is absent or has no orders in scope.
   */
  async statusRows(
    id: number,
    scope: ScopeIds,
  ): Promise<{ notice: { docNo: string; title: string | null }; items: WorkOrderRow[]; replies: Awaited<ReturnType<ReportStore['latestReplies']>> } | null> {
    const n = await table(this.db, 'notices').where({ id }).first('doc_no', 'title');
    if (!n) return null;
    const { items } = await this.reports.listWorkOrders({ noticeId: id }, scope, null);
    if (scope && items.length === 0) return null;
    return { notice: { docNo: n.doc_no, title: n.title ?? null }, items, replies: await this.reports.latestReplies(items.map((o) => o.id)) };
  }
}
