/**
 * Escalations as the console reads and acts on them: the filtered list with each one's unit,
 * target, order and notice, and the action an admin records (logged in the same transaction).
 */
import { table, type EscalationRow } from '../../db/tables';
import type { Knex } from 'knex';
import type { EventLog } from '../events/events';
import type { ScopeIds } from '../reports/workorders';

export type EscalationKind = 'repeat_target' | 'repeat_unit' | 'overdue';
export type EscalationStatus = 'open' | 'delivered' | 'actioned' | 'closed';

export interface EscalationFilter {
  kind?: EscalationKind;
  status?: EscalationStatus;
  year?: number;
  page: number;
  pageSize: number;
}

/** An escalation row with the names of what it concerns (null where it concerns none). */
export interface EscalationListRow {
  id: number;
  kind: string;
  status: string;
  year: number | null;
  count: number | null;
  step: number | null;
  proposedAction: string | null;
  actionTaken: string | null;
  actionedBy: string | null;
  actionedAt: Date | null;
  createdAt: Date;
  unit: { id: number; name: string | null; jurisdiction: string | null } | null;
  target: { id: number; name: string; kind: string; platform: string | null } | null;
  workOrder: { id: number; code: string | null } | null;
  notice: { id: number; docNo: string | null } | null;
}

/** What recording an action came to. */
export type EscalationActionResult = 'recorded' | 'not_found' | 'closed';

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** An escalation row with the names the list joins in. */
type EscalationJoinRow = EscalationRow & {
  unit_name: string | null;
  unit_jurisdiction: string | null;
  target_name: string | null;
  target_kind: string | null;
  target_platform: string | null;
  wo_code: string | null;
  notice_doc_no: string | null;
};

function listRow(r: EscalationJoinRow): EscalationListRow {
  return {
    id: Number(r.id),
    kind: r.kind,
    status: r.status,
    year: num(r.year),
    count: num(r.count),
    step: num(r.step),
    proposedAction: r.proposed_action ?? null,
    actionTaken: r.action_taken ?? null,
    actionedBy: r.actioned_by ?? null,
    actionedAt: r.actioned_at ? new Date(Number(r.actioned_at)) : null,
    createdAt: new Date(Number(r.created_at)),
    unit: r.unit_id ? { id: Number(r.unit_id), name: r.unit_name ?? null, jurisdiction: r.unit_jurisdiction ?? null } : null,
    target: r.target_id ? { id: Number(r.target_id), name: r.target_name ?? '', kind: r.target_kind ?? '', platform: r.target_platform ?? null } : null,
    workOrder: r.work_order_id ? { id: Number(r.work_order_id), code: r.wo_code ?? null } : null,
    notice: r.notice_id ? { id: Number(r.notice_id), docNo: r.notice_doc_no ?? null } : null,
  };
}

export class KnexEscalationBoard {
  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
  ) {}

  async list(filter: EscalationFilter, scope: ScopeIds): Promise<{ items: EscalationListRow[]; total: number }> {
    const base = () => {
      const q = this.db('escalations as e');
      if (filter.kind) q.where('e.kind', filter.kind);
      if (filter.status) q.where('e.status', filter.status);
      if (filter.year) q.where('e.year', filter.year);
      if (scope) q.whereIn('e.unit_id', scope.length ? scope : [-1]);
      return q;
    };
    const [c] = await base().count({ n: '*' });
    const rows = await base()
      .leftJoin('units as u', 'u.id', 'e.unit_id')
      .leftJoin('targets as t', 't.id', 'e.target_id')
      .leftJoin('work_orders as w', 'w.id', 'e.work_order_id')
      .leftJoin('notices as n', 'n.id', 'e.notice_id')
      .select<EscalationJoinRow[]>('e.*', 'u.name as unit_name', 'u.jurisdiction as unit_jurisdiction', 't.name as target_name', 't.kind as target_kind', 't.platform as target_platform', 'w.code as wo_code', 'n.doc_no as notice_doc_no')
      .orderBy('e.id', 'desc')
      .limit(filter.pageSize)
      .offset((filter.page - 1) * filter.pageSize);
    return { items: rows.map(listRow), total: Number(c?.n ?? 0) };
  }

  /** Records the action taken on an escalation (or closes it); a closed one takes no more. */
  async recordAction(id: number, a: { status: 'actioned' | 'closed'; actionTaken: string; actor: string; at: Date }): Promise<EscalationActionResult> {
    return this.db.transaction(async (trx) => {
      const row = await table(trx, 'escalations').where({ id }).first();
      if (!row) return 'not_found';
      if (row.status === 'closed') return 'closed';
      await table(trx, 'escalations').where({ id }).update({ status: a.status, action_taken: a.actionTaken, actioned_by: a.actor, actioned_at: a.at.getTime() });
      await this.events.append(
        {
          type: 'escalation.actioned',
          actor: a.actor,
          at: a.at,
          workOrderId: row.work_order_id ?? null,
          noticeId: row.notice_id ?? null,
          unitId: row.unit_id ?? null,
          data: { escalation_id: id, kind: row.kind, status: a.status, action_taken: a.actionTaken },
        },
        trx,
      );
      return 'recorded';
    });
  }
}
