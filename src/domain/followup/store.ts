/**
 * The follow-up's reads and writes: what is due for a reminder, what is overdue and climbing the
 * ladder, what a digest lists, and the escalations' delivery. Every query of a sweep reads
 * through the (state, due_at) index: its cost grows with what is due, not with all open orders.
 */
import type { Knex } from 'knex';
import { table, type EscalationRow as EscalationTableRow } from '../../db/tables';
import type { WorkOrderState } from '../workorders/states';
import type { WorkOrderStore } from '../workorders/store';

export interface EscalationRow {
  id: number;
  kind: string;
  dedupeKey: string;
  workOrderId: number | null;
  targetId: number | null;
  unitId: number | null;
  noticeId: number | null;
  year: number | null;
  count: number | null;
  step: number | null;
  proposedAction: string | null;
  status: string;
}

export interface RepeatOffenderView extends EscalationRow {
  unitName: string | null;
  targetName: string | null;
  targetKind: string | null;
  platform: string | null;
  noticeTitle: string | null;
  docNo: string | null;
}

export interface DueOrder {
  id: number;
  unitId: number | null;
  dueAt: Date;
  notifiedAt: Date | null;
}

export interface FollowupStore {
  /** Orders in `states`, not overdue, due in (from, to] (soonest first). */
  dueWithin(states: WorkOrderState[], from: Date, to: Date, limit: number): Promise<DueOrder[]>;
  /** Orders flagged overdue, still in `states`, due at or before `at` (oldest due first). */
  overdueOpen(states: WorkOrderState[], at: Date, limit: number, afterId?: number): Promise<{ id: number; dueAt: Date }[]>;
  /** Orders with a pending extension request or dispute (the unit waits for the supervisor). */
  withPendingRequest(ids: number[]): Promise<Set<number>>;
  /** The ladder step reached by each of these overdue episodes (escalation dedupe keys); absent: none yet. */
  ladderSteps(keys: string[]): Promise<Map<string, number>>;
  /** Which of these outbox idempotency keys are already taken. */
  takenKeys(keys: string[]): Promise<Set<string>>;
  /** Records ladder step `step` of an overdue episode (creates the escalation the first time). */
  recordLadderStep(
    e: { key: string; workOrderId: number; unitId: number | null; noticeId: number; step: number; at: Date },
    trx: Knex.Transaction,
  ): Promise<void>;
  /** Closes the overdue escalations of orders no longer waiting for their unit; returns how many. */
  closeStoppedLadders(awaiting: WorkOrderState[], at: Date): Promise<number>;
  /** Repeat-offender escalations not yet delivered. */
  undeliveredRepeats(limit: number): Promise<RepeatOffenderView[]>;
  markDelivered(id: number, at: Date, trx: Knex.Transaction): Promise<boolean>;
  /** Repeat-offender escalations not yet actioned, of these units (null: all). */
  openRepeats(unitIds: number[] | null, limit: number): Promise<{ items: RepeatOffenderView[]; total: number }>;
  /** Orders of these units (null: all) waiting for the unit and past due or flagged overdue, oldest due first. */
  overdueOf(unitIds: number[] | null, states: WorkOrderState[], at: Date, limit: number): Promise<{ ids: number[]; total: number }>;
  /** Orders of these units (null: all) in `states`, not overdue, due in (from, to]. */
  dueOf(unitIds: number[] | null, states: WorkOrderState[], from: Date, to: Date, limit: number): Promise<{ ids: number[]; total: number }>;
}

/** An escalation with its unit, target and notice (`repeats()`: left joins, aliased columns). */
type RepeatRow = EscalationTableRow & {
  unit_name: string | null;
  target_name: string | null;
  target_kind: string | null;
  target_platform: string | null;
  notice_title: string | null;
  notice_doc_no: string | null;
};

/** `count(*) over ()`: a number on SQLite, a string on PostgreSQL (bigint). */
interface TotalCount {
  total_count: number | string;
}

function escalationFromRow(r: EscalationTableRow): EscalationRow {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id),
    kind: r.kind,
    dedupeKey: r.dedupe_key,
    workOrderId: n(r.work_order_id),
    targetId: n(r.target_id),
    unitId: n(r.unit_id),
    noticeId: n(r.notice_id),
    year: n(r.year),
    count: n(r.count),
    step: n(r.step),
    proposedAction: r.proposed_action ?? null,
    status: r.status,
  };
}

function repeatFromRow(r: RepeatRow): RepeatOffenderView {
  return {
    ...escalationFromRow(r),
    unitName: r.unit_name ?? null,
    targetName: r.target_name ?? null,
    targetKind: r.target_kind ?? null,
    platform: r.target_platform ?? null,
    noticeTitle: r.notice_title ?? null,
    docNo: r.notice_doc_no ?? null,
  };
}

const REPEAT_KINDS = ['repeat_target', 'repeat_unit'];
const LADDER_STOPPED = '单位已反馈或工单已办结，升级停止';

export class KnexFollowupStore implements FollowupStore {
  constructor(
    private readonly db: Knex,
    /** The ladder step an order reached is written by the work-order store (the one writer of work_orders). */
    private readonly workOrders: Pick<WorkOrderStore, 'raiseEscalationStep'>,
  ) {}

  async dueWithin(states: WorkOrderState[], from: Date, to: Date, limit: number): Promise<DueOrder[]> {
    const rows = await table(this.db, 'work_orders')
      .whereIn('state', states)
      .where('due_at', '>', from.getTime())
      .where('due_at', '<=', to.getTime())
      .where('overdue', false)
      .orderBy('due_at')
      .limit(limit)
      .select('id', 'unit_id', 'due_at', 'notified_at');
    return rows.map((r) => ({
      id: Number(r.id),
      unitId: r.unit_id === null ? null : Number(r.unit_id),
      dueAt: new Date(Number(r.due_at)),
      notifiedAt: r.notified_at === null ? null : new Date(Number(r.notified_at)),
    }));
  }

  async overdueOpen(states: WorkOrderState[], at: Date, limit: number, afterId = 0): Promise<{ id: number; dueAt: Date }[]> {
    const rows = await table(this.db, 'work_orders')
      .where('overdue', true)
      .whereIn('state', states)
      .whereNotNull('due_at')
      .where('due_at', '<=', at.getTime())
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .select('id', 'due_at');
    return rows.map((r) => ({ id: Number(r.id), dueAt: new Date(Number(r.due_at)) }));
  }

  async withPendingRequest(ids: number[]): Promise<Set<number>> {
    if (!ids.length) return new Set();
    const rows = await table(this.db, 'replies')
      .whereIn('work_order_id', ids)
      .whereIn('kind', ['extension', 'dispute'])
      .where('review_state', 'pending')
      .distinct('work_order_id');
    return new Set(rows.map((r) => Number(r.work_order_id)));
  }

  async ladderSteps(keys: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await table(this.db, 'escalations').whereIn('dedupe_key', keys.slice(i, i + 500)).select('dedupe_key', 'step');
      for (const r of rows) out.set(r.dedupe_key, Number(r.step ?? 0));
    }
    return out;
  }

  async takenKeys(keys: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await table(this.db, 'outbox').whereIn('idempotency_key', keys.slice(i, i + 500)).select('idempotency_key');
      for (const r of rows) out.add(r.idempotency_key);
    }
    return out;
  }

  async recordLadderStep(
    e: { key: string; workOrderId: number; unitId: number | null; noticeId: number; step: number; at: Date },
    trx: Knex.Transaction,
  ): Promise<void> {
    const at = e.at.getTime();
    const inserted = await table(trx, 'escalations')
      .insert({
        kind: 'overdue',
        dedupe_key: e.key,
        work_order_id: e.workOrderId,
        unit_id: e.unitId,
        notice_id: e.noticeId,
        step: e.step,
        status: 'delivered',
        delivered_at: at,
        created_at: at,
      })
      .onConflict('dedupe_key')
      .ignore()
      .returning('id');
    if (!inserted.length) await table(trx, 'escalations').where({ dedupe_key: e.key }).where('step', '<', e.step).update({ step: e.step, delivered_at: at });
    await this.workOrders.raiseEscalationStep(e.workOrderId, e.step, e.at, trx);
  }

  async closeStoppedLadders(awaiting: WorkOrderState[], at: Date): Promise<number> {
    return table(this.db, 'escalations')
      .where('kind', 'overdue')
      .whereIn('status', ['open', 'delivered'])
      // Correlated on the order's primary key: reads the few open ladders, not every closed order.
      .whereExists((q) => void q.from('work_orders as w').whereRaw('w.id = escalations.work_order_id').whereNotIn('w.state', awaiting))
      .update({ status: 'closed', action_taken: LADDER_STOPPED, actioned_by: 'system', actioned_at: at.getTime() });
  }

  private repeats() {
    return this.db('escalations as e')
      .leftJoin('units as u', 'u.id', 'e.unit_id')
      .leftJoin('targets as t', 't.id', 'e.target_id')
      .leftJoin('notices as n', 'n.id', 'e.notice_id')
      .whereIn('e.kind', REPEAT_KINDS)
      .select<RepeatRow[]>('e.*', 'u.name as unit_name', 't.name as target_name', 't.kind as target_kind', 't.platform as target_platform', 'n.title as notice_title', 'n.doc_no as notice_doc_no');
  }

  async undeliveredRepeats(limit: number): Promise<RepeatOffenderView[]> {
    const rows = await this.repeats().where('e.status', 'open').whereNull('e.delivered_at').orderBy('e.id').limit(limit);
    return rows.map(repeatFromRow);
  }

  async markDelivered(id: number, at: Date, trx: Knex.Transaction): Promise<boolean> {
    const n = await table(trx, 'escalations').where({ id, status: 'open' }).whereNull('delivered_at').update({ status: 'delivered', delivered_at: at.getTime() });
    return n === 1;
  }

  async openRepeats(unitIds: number[] | null, limit: number): Promise<{ items: RepeatOffenderView[]; total: number }> {
    const rows = await this.repeats()
      .select<(RepeatRow & TotalCount)[]>(this.db.raw('count(*) over () as total_count'))
      .whereIn('e.status', ['open', 'delivered'])
      .modify<RepeatRow & TotalCount, (RepeatRow & TotalCount)[]>((q) => {
        if (unitIds) q.whereIn('e.unit_id', unitIds.length ? unitIds : [-1]);
      })
      .orderBy('e.id')
      .limit(limit);
    return { items: rows.map(repeatFromRow), total: totalOf(rows) };
  }

  async overdueOf(unitIds: number[] | null, states: WorkOrderState[], at: Date, limit: number): Promise<{ ids: number[]; total: number }> {
    const q = () => {
      const b = table(this.db, 'work_orders').whereIn('state', states).whereNotNull('due_at').where('due_at', '<=', at.getTime());
      if (unitIds) b.whereIn('unit_id', unitIds.length ? unitIds : [-1]);
      return b;
    };
    const rows = await q().orderBy('due_at').orderBy('id').limit(limit).select<({ id: number } & TotalCount)[]>('id', this.db.raw('count(*) over () as total_count'));
    return { ids: rows.map((r) => Number(r.id)), total: totalOf(rows) };
  }

  async dueOf(unitIds: number[] | null, states: WorkOrderState[], from: Date, to: Date, limit: number): Promise<{ ids: number[]; total: number }> {
    const q = () => {
      const b = table(this.db, 'work_orders').whereIn('state', states).where('due_at', '>', from.getTime()).where('due_at', '<=', to.getTime());
      if (unitIds) b.whereIn('unit_id', unitIds.length ? unitIds : [-1]);
      return b;
    };
    const rows = await q().orderBy('due_at').orderBy('id').limit(limit).select<({ id: number } & TotalCount)[]>('id', this.db.raw('count(*) over () as total_count'));
    return { ids: rows.map((r) => Number(r.id)), total: totalOf(rows) };
  }
}

/**
 * The count of a list read with `count(*) over () as total_count`: the total and the first
 * `limit` rows come from one statement, so a digest never says 4 and lists 5 when an order
 * changes between two reads. (`limit` is at least 1 wherever this is used.)
 */
function totalOf(rows: TotalCount[]): number {
  return rows.length ? Number(rows[0].total_count) : 0;
}
