/**
 * What the import service needs from the database, and its knex implementation.
 * Everything an import writes happens in one transaction (ImportStore.transaction): a file is
 * imported whole or not at all.
 */
import type { Knex } from 'knex';
import { isPostgres } from '../../db/knex';
import { table } from '../../db/tables';
import type { EventLog, NewEvent } from '../events/events';
import { CLOSED_STATES } from '../workorders/states';
import type { NewWorkOrder, WorkOrderStore } from '../workorders/store';
import type { TargetFields } from './identity';
import { toUrl } from '../recheck/address';

export interface ExistingNotice {
  id: number;
  docNo: string;
  issuedOn: string;
  createdAt: Date;
  fileName: string | null;
  workOrders: number;
}

export interface NewNotice {
  docNo: string;
  title: string | null;
  issuer?: string | null;
  /** Inspection period, "YYYY-MM-DD~YYYY-MM-DD". */
  period?: string | null;
  issuedOn: string;
  reportDueOn: string | null;
  source: string | null;
  kind: string | null;
  /** Null for a notice that is no file (a monitoring order entered on its own). */
  fileName: string | null;
  fileSha256: string | null;
  extra: Record<string, unknown>;
  createdAt: Date;
}

export interface UnitInput {
  name: string;
  normalizedName: string;
  jurisdiction: string | null;
}

export interface TargetInput extends TargetFields {
  /** Website host, for matching a website listed under another name. */
  host: string | null;
  unitId: number;
}

export type WorkOrderInput = NewWorkOrder;

export interface ProblemInput {
  workOrderId: number;
  position: number;
  category: string;
  text: string;
}

export interface EscalationInput {
  kind: 'repeat_target' | 'repeat_unit';
  dedupeKey: string;
  targetId: number | null;
  unitId: number | null;
  noticeId: number;
  year: number;
  count: number;
  proposedAction: string;
}

export interface ImportTx {
  /** Serialises imports (document-number check, work-order codes) across processes. */
  lock(): Promise<void>;
  findActiveNotice(docNo: string): Promise<ExistingNotice | null>;
  insertNotice(n: NewNotice): Promise<number>;
  markReplaced(oldId: number, newId: number): Promise<void>;
  openWorkOrderIds(noticeId: number): Promise<number[]>;
  supersede(workOrderIds: number[], at: Date, actor: string, data: Record<string, unknown>): Promise<void>;
  /** Ids of the units by normalized name, creating the missing ones; `created` lists the new names. */
  upsertUnits(units: UnitInput[], at: Date): Promise<{ ids: Map<string, number>; created: Set<string> }>;
  /** Ids of the targets by identity, creating the missing ones. */
  upsertTargets(targets: TargetInput[], at: Date): Promise<{ ids: Map<string, number>; created: Set<string> }>;
  /** The highest sequence number of codes "<prefix><n>" in use. */
  maxCodeSequence(prefix: string): Promise<number>;
  /** Inserts work orders (state new); returns their ids by target id. */
  insertWorkOrders(noticeId: number, orders: WorkOrderInput[], at: Date): Promise<Map<number, number>>;
  insertProblems(problems: ProblemInput[]): Promise<void>;
  /** Distinct active notices issued in [from, to] with a work order for each target. */
  noticeCountsByTarget(targetIds: number[], from: string, to: string): Promise<Map<number, number>>;
  noticeCountsByUnit(unitIds: number[], from: string, to: string): Promise<Map<number, number>>;
  /** Creates the escalations not yet there (by dedupe key) and updates the count of the others; returns the created ones' keys. */
  upsertEscalations(list: EscalationInput[], at: Date): Promise<Map<string, { id: number; created: boolean }>>;
  appendEvents(events: NewEvent[]): Promise<void>;
}

export interface ImportStore {
  transaction<T>(fn: (tx: ImportTx) => Promise<T>): Promise<T>;
}

const CHUNK = 500;

function chunks<T>(list: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** A fixed key for the PostgreSQL advisory lock that serialises imports. */
const IMPORT_LOCK_KEY = 0x52454354; // "RECT"

export class KnexImportStore implements ImportStore {
  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
    private readonly workOrders: WorkOrderStore,
  ) {}

  transaction<T>(fn: (tx: ImportTx) => Promise<T>): Promise<T> {
    return this.db.transaction((trx) => fn(new KnexImportTx(trx, this.db, this.events, this.workOrders)));
  }
}

export class KnexImportTx implements ImportTx {
  constructor(
    private readonly trx: Knex.Transaction,
    private readonly db: Knex,
    private readonly events: EventLog,
    private readonly workOrders: WorkOrderStore,
  ) {}

  async lock(): Promise<void> {
    if (isPostgres(this.db)) await this.trx.raw('select pg_advisory_xact_lock(?)', [IMPORT_LOCK_KEY]);
    // SQLite: take the database write lock before reading anything (a no-op write does), so a
    // second process waits (busy_timeout) instead of failing on a stale snapshot.
    else await this.trx.raw('update notices set id = id where 1 = 0');
  }

  async findActiveNotice(docNo: string): Promise<ExistingNotice | null> {
    const row = await table(this.trx, 'notices').where({ doc_no: docNo, status: 'active' }).orderBy('id', 'desc').first();
    if (!row) return null;
    const [{ n }] = await table(this.trx, 'work_orders').where({ notice_id: row.id }).count({ n: '*' });
    return {
      id: Number(row.id),
      docNo: row.doc_no,
      issuedOn: row.issued_on,
      createdAt: new Date(Number(row.created_at)),
      fileName: row.file_name,
      workOrders: Number(n),
    };
  }

  async insertNotice(n: NewNotice): Promise<number> {
    const [row] = await table(this.trx, 'notices')
      .insert({
        doc_no: n.docNo,
        title: n.title,
        issuer: n.issuer?.slice(0, 200) ?? null,
        period: n.period ?? null,
        issued_on: n.issuedOn,
        report_due_on: n.reportDueOn,
        source: n.source,
        kind: n.kind,
        status: 'active',
        file_name: n.fileName,
        file_sha256: n.fileSha256,
        extra: JSON.stringify(n.extra),
        created_at: n.createdAt.getTime(),
      })
      .returning('id');
    return typeof row === 'object' ? Number(row.id) : Number(row);
  }

  async markReplaced(oldId: number, newId: number): Promise<void> {
    await table(this.trx, 'notices').where({ id: oldId }).update({ status: 'replaced', replaced_by_id: newId });
  }

  async openWorkOrderIds(noticeId: number): Promise<number[]> {
    const rows = await table(this.trx, 'work_orders')
      .where({ notice_id: noticeId })
      .whereNotIn('state', [...CLOSED_STATES])
      .select('id')
      .orderBy('id');
    return rows.map((r: { id: number }) => Number(r.id));
  }

  async supersede(ids: number[], at: Date, actor: string, data: Record<string, unknown>): Promise<void> {
    for (const id of ids) await this.workOrders.transition(id, 'supersede', { actor, at, data, trx: this.trx });
  }

  async upsertUnits(units: UnitInput[], at: Date): Promise<{ ids: Map<string, number>; created: Set<string> }> {
    const ids = new Map<string, number>();
    const created = new Set<string>();
    const byName = new Map(units.map((u) => [u.normalizedName, u]));
    const names = [...byName.keys()];
    const existing = new Map<string, { id: number; jurisdiction: string | null }>();
    for (const part of chunks(names)) {
      const rows = await table(this.trx, 'units').whereIn('normalized_name', part).select('id', 'normalized_name', 'jurisdiction');
      for (const r of rows) existing.set(r.normalized_name, { id: Number(r.id), jurisdiction: r.jurisdiction });
    }
    const missing = names.filter((n) => !existing.has(n));
    for (const part of chunks(missing)) {
      await table(this.trx, 'units').insert(
        part.map((n) => {
          const u = byName.get(n)!;
          return { name: u.name, normalized_name: n, jurisdiction: u.jurisdiction, created_at: at.getTime(), updated_at: at.getTime() };
        }),
      );
      const rows = await table(this.trx, 'units').whereIn('normalized_name', part).select('id', 'normalized_name');
      for (const r of rows) {
        ids.set(r.normalized_name, Number(r.id));
        created.add(r.normalized_name);
      }
    }
    for (const [n, e] of existing) {
      ids.set(n, e.id);
      const j = byName.get(n)!.jurisdiction;
      if (!e.jurisdiction && j) await table(this.trx, 'units').where({ id: e.id }).update({ jurisdiction: j, updated_at: at.getTime() });
    }
    return { ids, created };
  }

  async upsertTargets(targets: TargetInput[], at: Date): Promise<{ ids: Map<string, number>; created: Set<string> }> {
    const ids = new Map<string, number>();
    const created = new Set<string>();
    const byIdentity = new Map(targets.map((t) => [t.identity, t]));
    const identities = [...byIdentity.keys()];
    for (const part of chunks(identities)) {
      const rows = await table(this.trx, 'targets').whereIn('identity', part).select('id', 'identity');
      for (const r of rows) ids.set(r.identity, Number(r.id));
    }
    // Websites: a site listed under another name but with the same address is the same target.
    const websites = identities.filter((i) => !ids.has(i) && byIdentity.get(i)!.kind === 'website' && byIdentity.get(i)!.host);
    if (websites.length) {
      const hosts = new Map(websites.map((i) => [byIdentity.get(i)!.host!, i]));
      for (const part of chunks([...hosts.keys()])) {
        const rows = await table(this.trx, 'targets').where({ kind: 'website' }).whereIn('address', part).select('id', 'address');
        for (const r of rows) {
          const identity = hosts.get(r.address as string); // selected by address: not null
          if (identity && !ids.has(identity)) ids.set(identity, Number(r.id));
        }
      }
    }
    // A known target without an address to re-check takes the one this notice gives.
    const withUrl = new Map<number, string>();
    for (const [identity, id] of ids) {
      const url = toUrl(byIdentity.get(identity)?.address);
      if (url) withUrl.set(id, url);
    }
    for (const part of chunks([...withUrl.keys()])) {
      const lacking = await table(this.trx, 'targets').whereIn('id', part).whereNull('url').select('id');
      for (const r of lacking) await table(this.trx, 'targets').where({ id: Number(r.id) }).update({ url: withUrl.get(Number(r.id))! });
    }
    const missing = identities.filter((i) => !ids.has(i));
    for (const part of chunks(missing)) {
      await table(this.trx, 'targets').insert(
        part.map((i) => {
          const t = byIdentity.get(i)!;
          return {
            kind: t.kind,
            name: t.name,
            normalized_name: t.normalizedName,
            platform: t.platform,
            platform_family: t.family,
            // Websites keep their normalized host, the key for matching by address.
            address: t.kind === 'website' ? t.host ?? t.address : t.address,
            // The address as the notice wrote it: what a re-check opens.
            url: toUrl(t.address),
            unit_id: t.unitId,
            identity: i,
            created_at: at.getTime(),
          };
        }),
      );
      const rows = await table(this.trx, 'targets').whereIn('identity', part).select('id', 'identity');
      for (const r of rows) {
        ids.set(r.identity, Number(r.id));
        created.add(r.identity);
      }
    }
    return { ids, created };
  }

  maxCodeSequence(prefix: string): Promise<number> {
    return this.workOrders.maxCodeSequence(prefix, this.trx);
  }

  insertWorkOrders(noticeId: number, orders: WorkOrderInput[], at: Date): Promise<Map<number, number>> {
    return this.workOrders.insertForNotice(noticeId, orders, at, this.trx);
  }

  async insertProblems(problems: ProblemInput[]): Promise<void> {
    for (const part of chunks(problems)) {
      await table(this.trx, 'problems').insert(
        part.map((p) => ({ work_order_id: p.workOrderId, position: p.position, category: p.category, text: p.text })),
      );
    }
  }

  private async noticeCounts(column: 'target_id' | 'unit_id', ids: number[], from: string, to: string): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const part of chunks(ids)) {
      const rows = await this.trx('work_orders as w')
        .join('notices as n', 'n.id', 'w.notice_id')
        .where('n.status', 'active')
        .whereBetween('n.issued_on', [from, to])
        // Monitoring orders count as notices only where the admins' source setting says so.
        .where((q) => void q.whereNull('w.source').orWhereIn('w.source', this.trx('monitoring_sources').where('counts_repeats', true).select('name')))
        // A withdrawn order was called off: it names nobody.
        .whereNot('w.state', 'withdrawn')
        .whereIn(`w.${column}`, part)
        .groupBy(`w.${column}`)
        .select({ key: `w.${column}` })
        .countDistinct({ n: 'w.notice_id' });
      for (const r of rows as { key: number; n: number | string }[]) out.set(Number(r.key), Number(r.n));
    }
    return out;
  }

  noticeCountsByTarget(targetIds: number[], from: string, to: string): Promise<Map<number, number>> {
    return this.noticeCounts('target_id', targetIds, from, to);
  }

  noticeCountsByUnit(unitIds: number[], from: string, to: string): Promise<Map<number, number>> {
    return this.noticeCounts('unit_id', unitIds, from, to);
  }

  async upsertEscalations(list: EscalationInput[], at: Date): Promise<Map<string, { id: number; created: boolean }>> {
    const out = new Map<string, { id: number; created: boolean }>();
    const existing = new Map<string, { id: number; count: number }>();
    for (const part of chunks(list.map((e) => e.dedupeKey))) {
      const rows = await table(this.trx, 'escalations').whereIn('dedupe_key', part).select('id', 'dedupe_key', 'count');
      for (const r of rows) existing.set(r.dedupe_key, { id: Number(r.id), count: Number(r.count ?? 0) });
    }
    for (const e of list) {
      const old = existing.get(e.dedupeKey);
      if (old) {
        if (e.count !== old.count) await table(this.trx, 'escalations').where({ id: old.id }).update({ count: e.count });
        out.set(e.dedupeKey, { id: old.id, created: false });
        continue;
      }
      const [row] = await table(this.trx, 'escalations')
        .insert({
          kind: e.kind,
          dedupe_key: e.dedupeKey,
          target_id: e.targetId,
          unit_id: e.unitId,
          notice_id: e.noticeId,
          year: e.year,
          count: e.count,
          proposed_action: e.proposedAction,
          status: 'open',
          created_at: at.getTime(),
        })
        .returning('id');
      out.set(e.dedupeKey, { id: typeof row === 'object' ? Number(row.id) : Number(row), created: true });
    }
    return out;
  }

  appendEvents(events: NewEvent[]): Promise<void> {
    return this.events.appendMany(events, this.trx);
  }
}
