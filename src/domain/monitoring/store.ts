/**
 * What the monitoring service needs from the database: the sources admins keep, the chat's
 * drafts, target look-ups for autocomplete, and a transaction that offers the import's writer
 * (units, targets, notice, problems, escalations, events: src/domain/import/store.ts) beside
 * the work-order store's insert, so an order entered on its own is written exactly as an
 * imported one.
 */
import type { Knex } from 'knex';
import { parseJson, toBool } from '../../db/knex';
import { table, type DbBool, type TargetRow } from '../../db/tables';
import type { EventLog } from '../events/events';
import { KnexImportTx, type ImportTx } from '../import/store';
import type { WorkOrderStore } from '../workorders/store';

export interface MonitoringSource {
  id: number;
  name: string;
  /** Orders from this source count toward 通报 repeats (责令关停 / 约谈). */
  countsRepeats: boolean;
  active: boolean;
  position: number;
}

export interface SourceInput {
  name: string;
  countsRepeats: boolean;
  active?: boolean;
}

export interface KnownTarget {
  id: number;
  name: string;
  kind: string;
  platform: string | null;
  family: string | null;
  address: string | null;
  unit: { id: number; name: string } | null;
}

export interface Draft {
  id: number;
  userid: string;
  status: 'pending' | 'created' | 'cancelled';
  data: Record<string, unknown>;
  workOrderId: number | null;
}

/** The columns `summary` selects from work_orders joined with targets and units. */
interface SummaryRow {
  id: number;
  code: string;
  due_at: number | null;
  t_name: string;
  u_name: string | null;
}

/** The row the API, the CLI and the chat answer with. */
export interface OrderSummary {
  id: number;
  code: string;
  unit: string | null;
  target: string;
  dueAt: Date | null;
}

/** A monitoring_sources row as the drivers return it (see src/db/tables.ts). */
interface MonitoringSourceRow {
  id: number;
  name: string;
  counts_repeats: DbBool;
  active: DbBool;
  position: number;
  created_at: number;
  updated_at: number;
}

interface MonitoringDraftRow {
  id: number;
  userid: string;
  status: Draft['status'];
  /** JSON: the parsed order as the admin last saw it. */
  data: string;
  work_order_id: number | null;
  inbound_id: number | null;
  created_at: number;
  updated_at: number;
}

/** A target with its unit's name (`t.*, u.name as u_name` over a left join). */
type TargetWithUnitRow = TargetRow & { u_name: string | null };

function sourceFromRow(r: MonitoringSourceRow): MonitoringSource {
  return { id: Number(r.id), name: r.name, countsRepeats: toBool(r.counts_repeats), active: toBool(r.active), position: Number(r.position) };
}

function draftFromRow(r: MonitoringDraftRow): Draft {
  return { id: Number(r.id), userid: r.userid, status: r.status, data: parseJson<Record<string, unknown>>(r.data, {}), workOrderId: r.work_order_id === null ? null : Number(r.work_order_id) };
}

export class KnexMonitoringStore {
  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
    private readonly workOrders: WorkOrderStore,
  ) {}

  /** One transaction with the import's writer (tx) and the raw transaction for the work-order store. */
  transaction<T>(fn: (tx: ImportTx, trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction((trx) => fn(new KnexImportTx(trx, this.db, this.events, this.workOrders), trx));
  }

  // ------------------------------------------------------------------------------- sources

  async sources(options: { includeInactive?: boolean } = {}): Promise<MonitoringSource[]> {
    const q = this.db<MonitoringSourceRow>('monitoring_sources').orderBy([{ column: 'position' }, { column: 'id' }]);
    if (!options.includeInactive) q.where('active', true);
    return (await q).map(sourceFromRow);
  }

  /** Replaces the list: the given sources in this order; sources left out are deactivated (never deleted). */
  async setSources(list: SourceInput[], actor: string, at: Date): Promise<MonitoringSource[]> {
    return this.db.transaction(async (trx) => {
      const before = (await trx<MonitoringSourceRow>('monitoring_sources')).map(sourceFromRow);
      const t = at.getTime();
      for (const [position, s] of list.entries()) {
        const row = { counts_repeats: s.countsRepeats, active: s.active ?? true, position, updated_at: t };
        const existing = before.find((b) => b.name === s.name);
        if (existing) await trx<MonitoringSourceRow>('monitoring_sources').where({ id: existing.id }).update(row);
        else await trx<MonitoringSourceRow>('monitoring_sources').insert({ name: s.name, ...row, created_at: t });
      }
      const names = list.map((s) => s.name);
      await trx<MonitoringSourceRow>('monitoring_sources').whereNotIn('name', names.length ? names : ['']).update({ active: false, updated_at: t });
      const after = (await trx<MonitoringSourceRow>('monitoring_sources').orderBy([{ column: 'position' }, { column: 'id' }])).map(sourceFromRow);
      await this.events.append({ type: 'monitoring_sources.updated', actor, at, data: { before, after } }, trx);
      return after;
    });
  }

  // ------------------------------------------------------------------------------- targets

  /** Known targets whose name contains `q` (autocomplete), with their units. */
  async searchTargets(q: string, limit = 20): Promise<KnownTarget[]> {
    const like = `%${q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.db('targets as t')
      .leftJoin('units as u', 'u.id', 't.unit_id')
      .where((w) => void w.whereRaw("t.name like ? escape '\\'", [like]).orWhereRaw("u.name like ? escape '\\'", [like]))
      .select<TargetWithUnitRow[]>('t.*', 'u.name as u_name')
      .orderBy([{ column: 't.name' }, { column: 't.id' }])
      .limit(limit);
    return rows.map(targetFromRow);
  }

  async targetByIdentity(identity: string): Promise<KnownTarget | null> {
    const r: TargetWithUnitRow | undefined = await this.db('targets as t').leftJoin('units as u', 'u.id', 't.unit_id').where('t.identity', identity).first('t.*', 'u.name as u_name');
    return r ? targetFromRow(r) : null;
  }

  /** A target of this name on any platform, when there is exactly one (a platform left out). */
  async onlyTargetNamed(normalizedName: string): Promise<KnownTarget | null> {
    const rows = await this.db('targets as t').leftJoin('units as u', 'u.id', 't.unit_id').where('t.normalized_name', normalizedName).select<TargetWithUnitRow[]>('t.*', 'u.name as u_name').limit(2);
    return rows.length === 1 ? targetFromRow(rows[0]) : null;
  }

  async unitByName(normalizedName: string): Promise<{ id: number; name: string } | null> {
    const r = await table(this.db, 'units').where({ normalized_name: normalizedName }).first('id', 'name');
    return r ? { id: Number(r.id), name: r.name } : null;
  }

  async summary(workOrderId: number, trx?: Knex.Transaction): Promise<OrderSummary | null> {
    const r: SummaryRow | undefined = await (trx ?? this.db)('work_orders as w')
      .join('targets as t', 't.id', 'w.target_id')
      .leftJoin('units as u', 'u.id', 'w.unit_id')
      .where('w.id', workOrderId)
      .first('w.id', 'w.code', 'w.due_at', 't.name as t_name', 'u.name as u_name');
    if (!r) return null;
    return { id: Number(r.id), code: r.code, unit: r.u_name ?? null, target: r.t_name, dueAt: r.due_at === null ? null : new Date(Number(r.due_at)) };
  }

  /** A screenshot that came with the order, as evidence of the order (no reply). */
  async insertScreenshot(
    trx: Knex.Transaction,
    e: { workOrderId: number; storagePath: string; mime: string; size: number; sha256: string },
    at: Date,
  ): Promise<void> {
    await trx('evidence').insert({
      reply_id: null,
      work_order_id: e.workOrderId,
      kind: 'image',
      storage_path: e.storagePath,
      mime: e.mime,
      size: e.size,
      sha256: e.sha256,
      text: '工单截图',
      created_at: at.getTime(),
    });
  }

  // ------------------------------------------------------------------------------- drafts

  async createDraft(userid: string, data: Record<string, unknown>, inboundId: number | null, at: Date): Promise<Draft> {
    const [row] = await this.db<MonitoringDraftRow>('monitoring_drafts')
      .insert({ userid, status: 'pending', data: JSON.stringify(data), inbound_id: inboundId, created_at: at.getTime(), updated_at: at.getTime() })
      .returning('*');
    return draftFromRow(row);
  }

  async draft(id: number): Promise<Draft | null> {
    const r = await this.db<MonitoringDraftRow>('monitoring_drafts').where({ id }).first();
    return r ? draftFromRow(r) : null;
  }

  /** The drafts a message already made (a callback handled twice makes them once). */
  async draftsOfInbound(inboundId: number): Promise<Draft[]> {
    return (await this.db<MonitoringDraftRow>('monitoring_drafts').where({ inbound_id: inboundId }).orderBy('id')).map(draftFromRow);
  }

  async latestPendingDraft(userid: string): Promise<Draft | null> {
    const r = await this.db<MonitoringDraftRow>('monitoring_drafts').where({ userid, status: 'pending' }).orderBy('id', 'desc').first();
    return r ? draftFromRow(r) : null;
  }

  async updateDraft(id: number, data: Record<string, unknown>, at: Date): Promise<void> {
    await this.db<MonitoringDraftRow>('monitoring_drafts').where({ id, status: 'pending' }).update({ data: JSON.stringify(data), updated_at: at.getTime() });
  }

  /** Closes a pending draft; false when it was no longer pending (a second click). */
  async closeDraft(id: number, status: 'created' | 'cancelled', workOrderId: number | null, at: Date): Promise<boolean> {
    const n = await this.db<MonitoringDraftRow>('monitoring_drafts').where({ id, status: 'pending' }).update({ status, work_order_id: workOrderId, updated_at: at.getTime() });
    return n === 1;
  }
}

function targetFromRow(r: TargetWithUnitRow): KnownTarget {
  return {
    id: Number(r.id),
    name: r.name,
    kind: r.kind,
    platform: r.platform ?? null,
    family: r.platform_family ?? null,
    address: r.address ?? null,
    unit: r.unit_id === null || r.unit_id === undefined ? null : { id: Number(r.unit_id), name: r.u_name as string },
  };
}
