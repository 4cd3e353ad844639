/** Read models of work orders for the chat: one order with its notice, target, unit and problems. */
import type { Knex } from 'knex';
import { parseJson, toBool } from '../../db/knex';
import { formatInstantZh } from '../calendar/dates';
import { STATE_LABELS, type ReplyKind, type WorkOrderState } from '../workorders/states';

export interface OrderView {
  id: number;
  code: string;
  state: WorkOrderState;
  unitId: number | null;
  unitName: string | null;
  noticeId: number;
  noticeTitle: string;
  docNo: string;
  noticeReportDueOn: string | null;
  noticeSource: string | null;
  noticeStatus: string;
  target: string;
  targetKind: string;
  platform: string | null;
  problems: { category: string; text: string }[];
  dueOnOverride: string | null;
  dueAt: Date | null;
  dueProvisional: boolean;
  notifiedAt: Date | null;
  overdue: boolean;
  version: number;
}

export interface PendingReplyView {
  replyId: number;
  kind: ReplyKind;
  text: string | null;
  late: boolean;
  createdAt: Date;
  requestedDueOn: string | null;
  contactId: number | null;
  order: OrderView;
}

const base = (db: Knex | Knex.Transaction) =>
  db('work_orders as w')
    .join('notices as n', 'n.id', 'w.notice_id')
    .join('targets as t', 't.id', 'w.target_id')
    .leftJoin('units as u', 'u.id', 'w.unit_id')
    .select(
      'w.*',
      'n.title as notice_title',
      'n.doc_no',
      'n.report_due_on',
      'n.source as notice_source',
      'n.status as notice_status',
      't.name as target_name',
      't.kind as target_kind',
      't.platform',
      'u.name as unit_name',
    );

function view(r: any, problems: { category: string; text: string }[]): OrderView {
  return {
    id: Number(r.id),
    code: r.code,
    state: r.state,
    unitId: r.unit_id === null ? null : Number(r.unit_id),
    unitName: r.unit_name ?? null,
    noticeId: Number(r.notice_id),
    noticeTitle: r.notice_title || r.doc_no,
    docNo: r.doc_no,
    noticeReportDueOn: r.report_due_on ?? null,
    noticeSource: r.notice_source ?? null,
    noticeStatus: r.notice_status,
    target: r.target_name,
    targetKind: r.target_kind,
    platform: r.platform ?? null,
    problems,
    dueOnOverride: r.due_on_override ?? null,
    dueAt: r.due_at === null || r.due_at === undefined ? null : new Date(Number(r.due_at)),
    dueProvisional: toBool(r.due_provisional),
    notifiedAt: r.notified_at === null || r.notified_at === undefined ? null : new Date(Number(r.notified_at)),
    overdue: toBool(r.overdue),
    version: Number(r.version),
  };
}

export class OrderViews {
  constructor(private readonly db: Knex) {}

  private async withProblems(rows: any[], db: Knex | Knex.Transaction = this.db): Promise<OrderView[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => Number(r.id));
    const problems = new Map<number, { category: string; text: string }[]>();
    for (let i = 0; i < ids.length; i += 500) {
      const ps = await db('problems').whereIn('work_order_id', ids.slice(i, i + 500)).orderBy(['work_order_id', 'position']);
      for (const p of ps) {
        const k = Number(p.work_order_id);
        if (!problems.has(k)) problems.set(k, []);
        problems.get(k)!.push({ category: p.category, text: p.text });
      }
    }
    return rows.map((r) => view(r, problems.get(Number(r.id)) ?? []));
  }

  async get(id: number, trx?: Knex.Transaction): Promise<OrderView | null> {
    const r = await base(trx ?? this.db).where('w.id', id).first();
    return r ? (await this.withProblems([r], trx))[0] : null;
  }

  async byCode(code: string): Promise<OrderView | null> {
    const r = await base(this.db).where('w.code', code.trim()).first();
    return r ? (await this.withProblems([r]))[0] : null;
  }

  /** When and why an order was withdrawn (its withdraw event), or null. */
  async withdrawal(id: number): Promise<{ at: Date; reason: string | null } | null> {
    const e = await this.db('events').where({ work_order_id: id, type: 'work_order.withdraw' }).orderBy('id', 'desc').first('at', 'data');
    if (!e) return null;
    const data = parseJson<{ reason?: string }>(e.data, {});
    return { at: new Date(Number(e.at)), reason: data.reason ?? null };
  }

  /** Orders of these units (open first, then the latest closed), newest notice first. */
  async forUnits(unitIds: number[], limit = 30): Promise<OrderView[]> {
    if (!unitIds.length) return [];
    const rows = await base(this.db)
      .whereIn('w.unit_id', unitIds)
      .whereNot('w.state', 'superseded')
      .orderByRaw("case when w.state in ('accepted', 'withdrawn') then 1 else 0 end")
      .orderBy('w.id', 'asc')
      .limit(limit);
    return this.withProblems(rows);
  }

  /** Open orders of these units in the given states. */
  async openForUnits(unitIds: number[], states: WorkOrderState[]): Promise<OrderView[]> {
    if (!unitIds.length) return [];
    const rows = await base(this.db).whereIn('w.unit_id', unitIds).whereIn('w.state', states).orderBy('w.id');
    return this.withProblems(rows);
  }

  /** Orders to notify: state new (never carded), or rejected; of active notices. */
  async toNotify(limit: number): Promise<OrderView[]> {
    const rows = await base(this.db)
      .where('n.status', 'active')
      .andWhere((w) =>
        void w
          .where((a) => void a.where('w.state', 'new').whereNotExists((s) => void s.from('cards as k').whereRaw('k.work_order_id = w.id').where('k.kind', 'notify')))
          // Rejected and not yet sent back: no notice card of the current round (= rejections so far).
          .orWhere((b) =>
            void b.where('w.state', 'rejected').whereNotExists((s) =>
              void s
                .from('cards as k')
                .whereRaw('k.work_order_id = w.id')
                .where('k.kind', 'notify')
                .whereRaw(
                  "k.round = (select count(*) from replies as r where r.work_order_id = w.id and r.kind = 'rectified' and r.review_state = 'rejected')",
                ),
            ),
          ),
      )
      .orderBy('w.id')
      .limit(limit);
    return this.withProblems(rows);
  }

  /** Orders by id (in the order given; missing ids left out). */
  async byIds(ids: number[]): Promise<OrderView[]> {
    if (!ids.length) return [];
    const out: OrderView[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      out.push(...(await this.withProblems(await base(this.db).whereIn('w.id', part))));
    }
    const byId = new Map(out.map((o) => [o.id, o]));
    return ids.map((id) => byId.get(id)).filter((o): o is OrderView => o !== undefined);
  }

  /** Replies waiting for review, of these units (null: all units). */
  async pendingReplies(unitIds: number[] | null, replyId?: number): Promise<PendingReplyView[]> {
    const q = this.db('replies as r').join('work_orders as w', 'w.id', 'r.work_order_id').where('r.review_state', 'pending').orderBy('r.id').select('r.*');
    if (unitIds) q.whereIn('w.unit_id', unitIds.length ? unitIds : [-1]);
    if (replyId !== undefined) q.where('r.id', replyId);
    const rows = await q;
    const out: PendingReplyView[] = [];
    for (const r of rows) {
      const order = await this.get(Number(r.work_order_id));
      if (!order) continue;
      out.push({
        replyId: Number(r.id),
        kind: r.kind,
        text: r.text ?? null,
        late: toBool(r.late),
        createdAt: new Date(Number(r.created_at)),
        requestedDueOn: r.requested_due_on ?? null,
        contactId: r.contact_id === null ? null : Number(r.contact_id),
        order,
      });
    }
    return out;
  }

  /** Overdue orders still waiting for the unit, of these units (null: all units). */
  async overdue(unitIds: number[] | null, at: Date): Promise<OrderView[]> {
    const q = base(this.db)
      .whereIn('w.state', ['notified', 'rejected'])
      .andWhere((w) => void w.where('w.overdue', true).orWhere('w.due_at', '<=', at.getTime()))
      .orderBy('w.due_at');
    if (unitIds) q.whereIn('w.unit_id', unitIds.length ? unitIds : [-1]);
    return this.withProblems(await q.limit(50));
  }

  async evidenceCount(workOrderId: number, replyId: number | null): Promise<number> {
    const q = this.db('evidence').where({ work_order_id: workOrderId, kind: 'image' });
    if (replyId === null) q.whereNull('reply_id');
    else q.where({ reply_id: replyId });
    const [{ n }] = await q.count({ n: '*' });
    return Number(n);
  }

  /** The history lines of an order (replies and reviews), oldest first. */
  async history(workOrderId: number, zone: string): Promise<string[]> {
    const rows = await this.db('replies').where({ work_order_id: workOrderId }).orderBy('id');
    const kind: Record<string, string> = { rectified: '整改反馈', extension: '延期申请', dispute: '异议' };
    const review: Record<string, string> = { pending: '待审核', accepted: '已通过', rejected: '未通过' };
    const out: string[] = [];
    for (const r of rows) {
      const n = await this.evidenceCount(workOrderId, Number(r.id));
      out.push(
        `${formatInstantZh(new Date(Number(r.created_at)), zone)} ${kind[r.kind] ?? r.kind}${toBool(r.late) ? '（逾期）' : ''}：${r.text ?? ''}` +
          `${n ? `（截图 ${n} 张）` : ''}，${review[r.review_state] ?? r.review_state}${r.review_comment ? `，意见：${r.review_comment}` : ''}`,
      );
    }
    return out;
  }
}

export function stateLabel(o: { state: WorkOrderState; overdue: boolean }): string {
  return `${STATE_LABELS[o.state]}${o.overdue && ['new', 'notified', 'rejected'].includes(o.state) ? '（已逾期）' : ''}`;
}
