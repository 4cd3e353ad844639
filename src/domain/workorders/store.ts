/** Work orders: reading them and moving them through their states, with the event log. */
import { table, type WorkOrderTableRow } from '../../db/tables';
import type { Knex } from 'knex';
import { parseJson, toBool } from '../../db/knex';
import type { EventLog } from '../events/events';
import { AWAITING_UNIT_STATES, CLOSED_STATES, nextState, WorkOrderAction, WorkOrderState } from './states';

export interface WorkOrder {
  id: number;
  code: string;
  noticeId: number;
  targetId: number;
  unitId: number | null;
  state: WorkOrderState;
  dueOnOverride: string | null;
  dueAt: Date | null;
  /** The due instant was counted over provisional (holiday-law) days; recomputed on loading the year. */
  dueProvisional: boolean;
  notifiedAt: Date | null;
  repliedAt: Date | null;
  closedAt: Date | null;
  overdue: boolean;
  overdueAt: Date | null;
  repliedLate: boolean;
  escalationStep: number;
  /** Monitoring orders: where the order came from (null for a notice's orders). */
  source: string | null;
  externalNo: string | null;
  externalUrl: string | null;
  receivedAt: Date | null;
  extra: Record<string, unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const ms = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(Number(v)));

export function workOrderFromRow(r: WorkOrderTableRow): WorkOrder {
  return {
    id: Number(r.id),
    code: r.code,
    noticeId: Number(r.notice_id),
    targetId: Number(r.target_id),
    unitId: r.unit_id === null ? null : Number(r.unit_id),
    state: r.state as WorkOrderState,
    dueOnOverride: r.due_on_override,
    dueAt: ms(r.due_at),
    dueProvisional: toBool(r.due_provisional),
    notifiedAt: ms(r.notified_at),
    repliedAt: ms(r.replied_at),
    closedAt: ms(r.closed_at),
    overdue: toBool(r.overdue),
    overdueAt: ms(r.overdue_at),
    repliedLate: toBool(r.replied_late),
    escalationStep: Number(r.escalation_step),
    source: r.source ?? null,
    externalNo: r.external_no ?? null,
    externalUrl: r.external_url ?? null,
    receivedAt: ms(r.received_at),
    extra: parseJson(r.extra, {}),
    version: Number(r.version),
    createdAt: new Date(Number(r.created_at)),
    updatedAt: new Date(Number(r.updated_at)),
  };
}

export interface TransitionOptions {
  actor: string;
  at: Date;
  /** New due instant (notify computes it; a rejection or an extension sets a new one). */
  dueAt?: Date | null;
  /** Whether that due instant is provisional (only with dueAt; default false). */
  dueProvisional?: boolean;
  contactId?: number | null;
  data?: Record<string, unknown>;
  /** Run inside a caller's transaction. */
  trx?: Knex.Transaction;
}

/** A new order as an import creates it (state new, no due instant yet). */
export interface NewWorkOrder {
  code: string;
  targetId: number;
  unitId: number;
  dueOnOverride: string | null;
  extra: Record<string, unknown>;
}

/**
 * The one rule for a new due date: the order is no longer overdue and its escalation ladder
 * starts again. Notifying, an accepted extension and any other new deadline go through here.
 */
export function newDuePatch(
  due: Date | null,
  provisional = false,
): { due_at: number | null; due_provisional: boolean; overdue: false; overdue_at: null; escalation_step: 0 } {
  return { due_at: due ? due.getTime() : null, due_provisional: !!due && provisional, overdue: false, overdue_at: null, escalation_step: 0 };
}

const INSERT_CHUNK = 200;

export class WorkOrderNotFoundError extends Error {
  constructor(ref: string | number) {
    super(`工单不存在：${ref}`);
    this.name = 'WorkOrderNotFoundError';
  }
}

export class ConcurrentUpdateError extends Error {
  constructor(id: number) {
    super(`工单 ${id} 已被同时修改，请重试`);
    this.name = 'ConcurrentUpdateError';
  }
}

/** A monitoring work order, received one at a time (its notice row and problems are written beside it). */
export interface NewMonitoringOrder {
  code: string;
  noticeId: number;
  targetId: number;
  unitId: number;
  source: string;
  externalNo: string | null;
  externalUrl: string | null;
  receivedAt: Date;
  /** Fixed when the order is created: counted from its receipt, not from when it is notified. */
  dueAt: Date;
  /** The due instant rests on a provisional (holiday-law) calendar year. */
  dueProvisional: boolean;
  extra: Record<string, unknown>;
}

export interface WorkOrderStore {
  get(id: number): Promise<WorkOrder | null>;
  getByCode(code: string): Promise<WorkOrder | null>;
  transition(id: number, action: WorkOrderAction, options: TransitionOptions): Promise<WorkOrder>;
  markOverdue(id: number, actor: string, at: Date): Promise<boolean>;
  /** Flags many orders overdue in one transaction; returns the ids this call flagged (not those already flagged). */
  markOverdueMany(ids: number[], actor: string, at: Date): Promise<number[]>;
  /** Ids of orders in `states`, not yet flagged overdue, due at or before `at` (oldest due first). */
  listOverdueCandidates(states: WorkOrderState[], at: Date, limit: number): Promise<number[]>;
  /** The order a platform's work order became (by source and the platform's number), if any. */
  findByExternal(source: string, externalNo: string, trx?: Knex.Transaction): Promise<WorkOrder | null>;
  /** Inserts a monitoring order (state new) in the caller's transaction; returns its id. */
  insertMonitoring(o: NewMonitoringOrder, at: Date, trx: Knex.Transaction): Promise<number>;
  /** A new deadline (an accepted extension): resets overdue and the ladder; event `work_order.due_changed`. */
  changeDue(id: number, due: Date, options: { actor: string; at: Date; data?: Record<string, unknown>; trx?: Knex.Transaction }): Promise<void>;
  /** An order not yet notified gets a fixed due date (used when it is notified); event `work_order.due_changed`. */
  setDueOnOverride(id: number, date: string, options: { actor: string; at: Date; data?: Record<string, unknown>; trx?: Knex.Transaction }): Promise<void>;
  /** Another unit (and optionally a named contact of it) takes an open order; event `work_order.reassigned`. */
  reassign(
    id: number,
    to: { unitId: number; contactId: number | null },
    options: { actor: string; at: Date; data?: Record<string, unknown>; trx?: Knex.Transaction },
  ): Promise<void>;
  /** A provisional deadline the loaded arrangement leaves where it was: the mark is cleared. False when it changed meanwhile. */
  confirmProvisionalDue(id: number, dueAt: Date, at: Date): Promise<boolean>;
  /**
   * A provisional deadline the loaded arrangement moves (in the caller's transaction): moved into the
   * future it resets overdue and the ladder as any new deadline does; still past, the sweep's flag stays.
   * False when the order changed meanwhile.
   */
  moveProvisionalDue(id: number, version: number, next: { due: Date; provisional: boolean }, at: Date, trx: Knex.Transaction): Promise<boolean>;
  /** Records the ladder step an overdue order reached (never lowers it). */
  raiseEscalationStep(id: number, step: number, at: Date, trx?: Knex.Transaction): Promise<void>;
  /** Inserts a notice's new orders; returns target id → order id. */
  insertForNotice(noticeId: number, orders: NewWorkOrder[], at: Date, trx: Knex.Transaction): Promise<Map<number, number>>;
  /** The highest sequence number among codes `<prefix><digits>` (0 when none). */
  maxCodeSequence(prefix: string, trx?: Knex.Transaction): Promise<number>;
}

export class KnexWorkOrderStore implements WorkOrderStore {
  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
  ) {}

  async get(id: number): Promise<WorkOrder | null> {
    const row = await table(this.db, 'work_orders').where({ id }).first();
    return row ? workOrderFromRow(row) : null;
  }

  async getByCode(code: string): Promise<WorkOrder | null> {
    const row = await table(this.db, 'work_orders').where({ code: code.trim() }).first();
    return row ? workOrderFromRow(row) : null;
  }

  async transition(id: number, action: WorkOrderAction, options: TransitionOptions): Promise<WorkOrder> {
    const run = async (trx: Knex.Transaction) => {
      const row = await table(trx, 'work_orders').where({ id }).first();
      if (!row) throw new WorkOrderNotFoundError(id);
      const before = workOrderFromRow(row);
      const to = nextState(before.state, action);
      const at = options.at.getTime();
      const patch: Record<string, unknown> = { state: to, updated_at: at, version: before.version + 1 };
      if (options.dueAt !== undefined) Object.assign(patch, newDuePatch(options.dueAt, options.dueProvisional));
      if (action === 'notify') {
        patch.notified_at = at;
        if (options.dueAt === undefined) Object.assign(patch, newDuePatch(before.dueAt));
      }
      if (action === 'reply') {
        patch.replied_at = at;
        patch.replied_late = before.dueAt !== null && at > before.dueAt.getTime();
      }
      if (action === 'accept' || action === 'supersede' || action === 'withdraw') patch.closed_at = at;
      const n = await table(trx, 'work_orders').where({ id, version: before.version }).update(patch);
      if (n !== 1) throw new ConcurrentUpdateError(id);
      await this.events.append(
        {
          type: `work_order.${action}`,
          actor: options.actor,
          at: options.at,
          workOrderId: id,
          noticeId: before.noticeId,
          unitId: before.unitId,
          contactId: options.contactId ?? null,
          data: { from: before.state, to, ...(options.data ?? {}) },
        },
        trx,
      );
      const after = await table(trx, 'work_orders').where({ id }).first();
      if (!after) throw new WorkOrderNotFoundError(id);
      return workOrderFromRow(after);
    };
    return options.trx ? run(options.trx) : this.db.transaction(run);
  }

  async findByExternal(source: string, externalNo: string, trx?: Knex.Transaction): Promise<WorkOrder | null> {
    const row = await table(trx ?? this.db, 'work_orders').where({ source, external_no: externalNo }).first();
    return row ? workOrderFromRow(row) : null;
  }

  async insertMonitoring(o: NewMonitoringOrder, at: Date, trx: Knex.Transaction): Promise<number> {
    const [row] = await table(trx, 'work_orders')
      .insert({
        code: o.code,
        notice_id: o.noticeId,
        target_id: o.targetId,
        unit_id: o.unitId,
        state: 'new',
        due_on_override: null,
        due_at: o.dueAt.getTime(),
        due_provisional: o.dueProvisional,
        source: o.source,
        external_no: o.externalNo,
        external_url: o.externalUrl,
        received_at: o.receivedAt.getTime(),
        extra: JSON.stringify(o.extra),
        version: 0,
        created_at: at.getTime(),
        updated_at: at.getTime(),
      })
      .returning('id');
    return typeof row === 'object' ? Number(row.id) : Number(row);
  }

  async listOverdueCandidates(states: WorkOrderState[], at: Date, limit: number): Promise<number[]> {
    const rows = await table(this.db, 'work_orders')
      .whereIn('state', states)
      .andWhere('due_at', '<=', at.getTime())
      .andWhere('overdue', false)
      .orderBy('due_at', 'asc')
      .limit(limit)
      .select('id');
    return rows.map((r: { id: number }) => Number(r.id));
  }

  async markOverdue(id: number, actor: string, at: Date): Promise<boolean> {
    return (await this.markOverdueMany([id], actor, at)).length === 1;
  }

  async markOverdueMany(ids: number[], actor: string, at: Date): Promise<number[]> {
    if (ids.length === 0) return [];
    const t = at.getTime();
    return this.db.transaction(async (trx) => {
      const flagged: number[] = [];
      for (let i = 0; i < ids.length; i += 500) {
        // The update says which rows this call flagged: a concurrent sweep (another instance)
        // that got there first leaves nothing here, so each order gets one overdue event. It is
        // conditional on what made the order due, so one re-notified meanwhile (a new deadline,
        // or answered) is left alone.
        const rows: { id: unknown; notice_id: unknown; unit_id: unknown; due_at: unknown }[] = await table(trx, 'work_orders')
          .whereIn('id', ids.slice(i, i + 500))
          .andWhere('overdue', false)
          .whereIn('state', [...AWAITING_UNIT_STATES])
          .whereNotNull('due_at')
          .andWhere('due_at', '<=', t)
          .update({ overdue: true, overdue_at: t, updated_at: t, version: trx.raw('version + 1') })
          .returning(['id', 'notice_id', 'unit_id', 'due_at']);
        rows.sort((a, b) => Number(a.id) - Number(b.id));
        await this.events.appendMany(
          rows.map((r) => ({
            type: 'work_order.overdue',
            actor,
            at,
            workOrderId: Number(r.id),
            noticeId: Number(r.notice_id),
            unitId: r.unit_id === null ? null : Number(r.unit_id),
            data: { dueAt: Number(r.due_at) },
          })),
          trx,
        );
        flagged.push(...rows.map((r) => Number(r.id)));
      }
      return flagged;
    });
  }

  async setDueOnOverride(id: number, date: string, options: { actor: string; at: Date; data?: Record<string, unknown>; trx?: Knex.Transaction }): Promise<void> {
    const run = async (trx: Knex.Transaction) => {
      const row = await table(trx, 'work_orders').where({ id }).first();
      if (!row) throw new WorkOrderNotFoundError(id);
      const before = workOrderFromRow(row);
      const n = await table(trx, 'work_orders')
        .where({ id, version: before.version, state: 'new' })
        .update({ due_on_override: date, updated_at: options.at.getTime(), version: before.version + 1 });
      if (n !== 1) throw new ConcurrentUpdateError(id);
      await this.events.append(
        {
          type: 'work_order.due_changed',
          actor: options.actor,
          at: options.at,
          workOrderId: id,
          noticeId: before.noticeId,
          unitId: before.unitId,
          data: { ...(options.data ?? {}), kind: 'manual', from_date: before.dueOnOverride, date },
        },
        trx,
      );
    };
    return options.trx ? run(options.trx) : this.db.transaction(run);
  }

  async reassign(
    id: number,
    to: { unitId: number; contactId: number | null },
    options: { actor: string; at: Date; data?: Record<string, unknown>; trx?: Knex.Transaction },
  ): Promise<void> {
    const run = async (trx: Knex.Transaction) => {
      const row = await table(trx, 'work_orders').where({ id }).first();
      if (!row) throw new WorkOrderNotFoundError(id);
      const before = workOrderFromRow(row);
      const extra = { ...before.extra };
      if (to.contactId !== null) extra.assigned_contact_id = to.contactId;
      else delete extra.assigned_contact_id;
      const n = await table(trx, 'work_orders')
        .where({ id, version: before.version })
        .whereNotIn('state', [...CLOSED_STATES])
        .update({ unit_id: to.unitId, extra: JSON.stringify(extra), updated_at: options.at.getTime(), version: before.version + 1 });
      if (n !== 1) throw new ConcurrentUpdateError(id);
      await this.events.append(
        {
          type: 'work_order.reassigned',
          actor: options.actor,
          at: options.at,
          workOrderId: id,
          noticeId: before.noticeId,
          unitId: to.unitId,
          contactId: to.contactId,
          data: { ...(options.data ?? {}), from_unit_id: before.unitId, to_unit_id: to.unitId, contact_id: to.contactId },
        },
        trx,
      );
    };
    return options.trx ? run(options.trx) : this.db.transaction(run);
  }

  async changeDue(id: number, due: Date, options: { actor: string; at: Date; data?: Record<string, unknown>; trx?: Knex.Transaction }): Promise<void> {
    const run = async (trx: Knex.Transaction) => {
      const row = await table(trx, 'work_orders').where({ id }).first();
      if (!row) throw new WorkOrderNotFoundError(id);
      const before = workOrderFromRow(row);
      const n = await table(trx, 'work_orders')
        .where({ id, version: before.version })
        .update({ ...newDuePatch(due), updated_at: options.at.getTime(), version: before.version + 1 });
      if (n !== 1) throw new ConcurrentUpdateError(id);
      await this.events.append(
        {
          type: 'work_order.due_changed',
          actor: options.actor,
          at: options.at,
          workOrderId: id,
          noticeId: before.noticeId,
          unitId: before.unitId,
          data: { ...(options.data ?? {}), from: before.dueAt?.getTime() ?? null, to: due.getTime() },
        },
        trx,
      );
    };
    await (options.trx ? run(options.trx) : this.db.transaction(run));
  }

  async confirmProvisionalDue(id: number, dueAt: Date, at: Date): Promise<boolean> {
    const n = await table(this.db, 'work_orders').where({ id, due_provisional: true, due_at: dueAt.getTime() }).update({ due_provisional: false, updated_at: at.getTime() });
    return n === 1;
  }

  async moveProvisionalDue(id: number, version: number, next: { due: Date; provisional: boolean }, at: Date, trx: Knex.Transaction): Promise<boolean> {
    const patch =
      next.due.getTime() > at.getTime()
        ? newDuePatch(next.due, next.provisional)
        : { due_at: next.due.getTime(), due_provisional: next.provisional };
    const n = await table(trx, 'work_orders')
      .where({ id, version, due_provisional: true })
      .update({ ...patch, updated_at: at.getTime(), version: version + 1 });
    return n === 1;
  }

  async raiseEscalationStep(id: number, step: number, at: Date, trx?: Knex.Transaction): Promise<void> {
    await table(trx ?? this.db, 'work_orders')
      .where({ id })
      .where('escalation_step', '<', step)
      .update({ escalation_step: step, updated_at: at.getTime(), version: (trx ?? this.db).raw('version + 1') });
  }

  async insertForNotice(noticeId: number, orders: NewWorkOrder[], at: Date, trx: Knex.Transaction): Promise<Map<number, number>> {
    const t = at.getTime();
    for (let i = 0; i < orders.length; i += INSERT_CHUNK) {
      await table(trx, 'work_orders').insert(
        orders.slice(i, i + INSERT_CHUNK).map((o) => ({
          code: o.code,
          notice_id: noticeId,
          target_id: o.targetId,
          unit_id: o.unitId,
          state: 'new',
          due_on_override: o.dueOnOverride,
          due_at: null,
          extra: JSON.stringify(o.extra),
          version: 0,
          created_at: t,
          updated_at: t,
        })),
      );
    }
    const rows = await table(trx, 'work_orders').where({ notice_id: noticeId }).select('id', 'target_id');
    return new Map(rows.map((r: { id: number; target_id: number }) => [Number(r.target_id), Number(r.id)]));
  }

  async maxCodeSequence(prefix: string, trx?: Knex.Transaction): Promise<number> {
    // Longest codes first, then the highest: the first one of the form <prefix><digits> is the maximum.
    const rows = await table(trx ?? this.db, 'work_orders')
      .where('code', 'like', `${prefix}%`)
      .select('code')
      .orderByRaw('length(code) desc, code desc')
      .limit(1000);
    const re = new RegExp(`^${prefix.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}(\\d+)$`);
    for (const r of rows) {
      const m = re.exec(r.code);
      if (m) return Number(m[1]);
    }
    return 0;
  }
}
