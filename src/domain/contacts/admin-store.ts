/**
 * Units, contacts and supervisions as the console edits them: ContactsAdminStore over the
 * contacts, units and supervisions tables (their one writer besides the contacts import), and
 * the ContactsImporter port the console's upload calls (`cli contacts import`'s service).
 */
import type { Knex } from 'knex';
import { toBool } from '../../db/knex';
import { table, type ContactRow, type SupervisionRow, type UnitRow } from '../../db/tables';
import type { EventLog } from '../events/events';
import { normalizeName } from '../import/identity';
import { CONTACT_ROLES, ROLE_LABELS as CONTACT_ROLE_LABELS, type ContactRole } from './parse';

export class ContactsError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ContactsError';
  }
}

export { CONTACT_ROLES };

export interface UnitView {
  id: number;
  name: string;
  jurisdiction: string | null;
  supervising_unit_id: number | null;
  contacts: number;
  unreachable: number;
  open_work_orders: number;
}

export interface ContactView {
  id: number;
  unit_id: number | null;
  unit_name: string | null;
  wecom_userid: string;
  name: string | null;
  role: string;
  role_label: string;
  phone: string | null;
  reachable: boolean;
  unreachable_reason: string | null;
  active: boolean;
  updated_at: string;
}

export interface SupervisionView {
  id: number;
  contact_id: number;
  contact_name: string | null;
  unit_id: number | null;
  unit_name: string | null;
  jurisdiction: string | null;
}

export interface ContactInput {
  unit_id?: number | null;
  wecom_userid?: string;
  name?: string | null;
  role?: (typeof CONTACT_ROLES)[number];
  phone?: string | null;
  reachable?: boolean;
  active?: boolean;
}

export type Scope = number[] | null;

export interface ContactsAdminStore {
  listUnits(f: { q?: string; jurisdiction?: string; page: number; pageSize: number }, scope: Scope): Promise<{ items: UnitView[]; total: number }>;
  createUnit(input: { name: string; jurisdiction?: string | null }, actor: string, at: Date): Promise<UnitView>;
  updateUnit(id: number, patch: { name?: string; jurisdiction?: string | null }, actor: string, at: Date): Promise<UnitView>;
  listContacts(
    f: { unitId?: number; role?: string; reachable?: boolean; active?: boolean; q?: string; page: number; pageSize: number },
    scope: Scope,
  ): Promise<{ items: ContactView[]; total: number }>;
  createContact(input: ContactInput, actor: string, at: Date): Promise<ContactView>;
  updateContact(id: number, patch: ContactInput, actor: string, at: Date): Promise<ContactView>;
  listSupervisions(contactId?: number): Promise<SupervisionView[]>;
  addSupervision(input: { contact_id: number; unit_id?: number | null; jurisdiction?: string | null }, actor: string, at: Date): Promise<SupervisionView>;
  removeSupervision(id: number, actor: string, at: Date): Promise<void>;
}

/** The conversation module's contacts import (CSV/XLSX of units and WeCom user ids). */
export interface ContactsImporter {
  importFile(file: string, options: { dryRun: boolean; actor: string; fileName: string }): Promise<unknown>;
}

/** `count(*)`: a number on SQLite, a string on PostgreSQL (bigint). */
type Count = number | string;

/** A unit with its counts (`u.*` and three correlated `count(*)` subqueries). */
type UnitCountsRow = UnitRow & { contacts: Count | null; unreachable: Count | null; open_work_orders: Count | null };
/** A contact with its unit's name (`c.*, u.name as unit_name` over a left join). */
type ContactWithUnitRow = ContactRow & { unit_name: string | null };
/** A supervision with its contact's and unit's names. */
type SupervisionWithNamesRow = SupervisionRow & { contact_name: string | null; unit_name: string | null };

const scoped = (q: Knex.QueryBuilder, scope: Scope, col: string) => (scope === null ? q : q.whereIn(col, scope.length ? scope : [-1]));
const likeOf = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export class KnexContactsAdminStore implements ContactsAdminStore {
  constructor(
    private readonly db: Knex,
    private readonly events: EventLog,
  ) {}

  private unitsQuery(f: { q?: string; jurisdiction?: string }, scope: Scope) {
    const q = this.db('units as u');
    scoped(q, scope, 'u.id');
    if (f.jurisdiction) q.where('u.jurisdiction', f.jurisdiction);
    if (f.q) q.whereRaw("u.name like ? escape '\\'", [likeOf(f.q)]);
    return q;
  }

  async listUnits(f: { q?: string; jurisdiction?: string; page: number; pageSize: number }, scope: Scope) {
    const [c] = await this.unitsQuery(f, scope).count<{ n: Count }[]>({ n: '*' });
    const rows = await this.unitsQuery(f, scope)
      .select('u.*')
      .select<UnitCountsRow[]>(
        this.db('contacts as c').whereRaw('c.unit_id = u.id').where('c.active', true).count('*').as('contacts'),
        this.db('contacts as c').whereRaw('c.unit_id = u.id').where('c.active', true).where('c.reachable', false).count('*').as('unreachable'),
        this.db('work_orders as w').whereRaw('w.unit_id = u.id').whereIn('w.state', ['new', 'notified', 'replied', 'rejected']).count('*').as('open_work_orders'),
      )
      .orderBy([{ column: 'u.jurisdiction', order: 'asc' }, { column: 'u.name', order: 'asc' }])
      .limit(f.pageSize)
      .offset((f.page - 1) * f.pageSize);
    return { items: rows.map(unitView), total: Number(c.n) };
  }

  private async unit(id: number): Promise<UnitView> {
    const r = await this.listUnitsById(id);
    if (!r) throw new ContactsError(`单位不存在：${id}`, 404);
    return r;
  }

  private async listUnitsById(id: number): Promise<UnitView | null> {
    const row = await this.db('units as u')
      .where('u.id', id)
      .select('u.*')
      .select<UnitCountsRow[]>(
        this.db('contacts as c').whereRaw('c.unit_id = u.id').where('c.active', true).count('*').as('contacts'),
        this.db('contacts as c').whereRaw('c.unit_id = u.id').where('c.active', true).where('c.reachable', false).count('*').as('unreachable'),
        this.db('work_orders as w').whereRaw('w.unit_id = u.id').whereIn('w.state', ['new', 'notified', 'replied', 'rejected']).count('*').as('open_work_orders'),
      )
      .first<UnitCountsRow | undefined>();
    return row ? unitView(row) : null;
  }

  async createUnit(input: { name: string; jurisdiction?: string | null }, actor: string, at: Date) {
    const name = input.name.trim();
    if (!name) throw new ContactsError('单位名称不能为空');
    const id = await this.db.transaction(async (trx) => {
      const exists = await table(trx, 'units').where({ normalized_name: normalizeName(name) }).first();
      if (exists) throw new ContactsError(`单位已存在：${exists.name}（#${exists.id}）`, 409);
      const [row] = await table(trx, 'units')
        .insert({ name, normalized_name: normalizeName(name), jurisdiction: input.jurisdiction?.trim() || null, created_at: at.getTime(), updated_at: at.getTime() })
        .returning('id');
      const unitId = Number(typeof row === 'object' ? row.id : row);
      await this.events.append({ type: 'unit.created', actor, at, unitId, data: { name, jurisdiction: input.jurisdiction ?? null } }, trx);
      return unitId;
    });
    return this.unit(id);
  }

  async updateUnit(id: number, patch: { name?: string; jurisdiction?: string | null }, actor: string, at: Date) {
    await this.db.transaction(async (trx) => {
      const before = await table(trx, 'units').where({ id }).first();
      if (!before) throw new ContactsError(`单位不存在：${id}`, 404);
      const row: Record<string, unknown> = { updated_at: at.getTime() };
      if (patch.name !== undefined) {
        const name = patch.name.trim();
        if (!name) throw new ContactsError('单位名称不能为空');
        const clash = await table(trx, 'units').where({ normalized_name: normalizeName(name) }).whereNot({ id }).first();
        if (clash) throw new ContactsError(`已有同名单位：${clash.name}（#${clash.id}）`, 409);
        row.name = name;
        row.normalized_name = normalizeName(name);
      }
      if (patch.jurisdiction !== undefined) row.jurisdiction = patch.jurisdiction?.trim() || null;
      await table(trx, 'units').where({ id }).update(row);
      await this.events.append(
        { type: 'unit.updated', actor, at, unitId: id, data: { before: { name: before.name, jurisdiction: before.jurisdiction }, after: patch } },
        trx,
      );
    });
    return this.unit(id);
  }

  private contactsQuery(f: { unitId?: number; role?: string; reachable?: boolean; active?: boolean; q?: string }, scope: Scope) {
    const q = this.db('contacts as c').leftJoin('units as u', 'u.id', 'c.unit_id');
    scoped(q, scope, 'c.unit_id');
    if (f.unitId !== undefined) q.where('c.unit_id', f.unitId);
    if (f.role) q.where('c.role', f.role);
    if (f.reachable !== undefined) q.where('c.reachable', f.reachable);
    if (f.active !== undefined) q.where('c.active', f.active);
    if (f.q) {
      const like = likeOf(f.q);
      q.where((w) => void w.whereRaw("c.name like ? escape '\\'", [like]).orWhereRaw("c.wecom_userid like ? escape '\\'", [like]).orWhereRaw("u.name like ? escape '\\'", [like]));
    }
    return q;
  }

  async listContacts(
    f: { unitId?: number; role?: string; reachable?: boolean; active?: boolean; q?: string; page: number; pageSize: number },
    scope: Scope,
  ) {
    const [c] = await this.contactsQuery(f, scope).count<{ n: Count }[]>({ n: '*' });
    const rows = await this.contactsQuery(f, scope)
      .select<ContactWithUnitRow[]>('c.*', 'u.name as unit_name')
      .orderBy([{ column: 'u.name', order: 'asc' }, { column: 'c.id', order: 'asc' }])
      .limit(f.pageSize)
      .offset((f.page - 1) * f.pageSize);
    return { items: rows.map(contactView), total: Number(c.n) };
  }

  private async contact(id: number): Promise<ContactView> {
    const row = await this.db('contacts as c').leftJoin('units as u', 'u.id', 'c.unit_id').where('c.id', id).select<ContactWithUnitRow[]>('c.*', 'u.name as unit_name').first();
    if (!row) throw new ContactsError(`联系人不存在：${id}`, 404);
    return contactView(row);
  }

  async createContact(input: ContactInput, actor: string, at: Date) {
    if (!input.wecom_userid?.trim()) throw new ContactsError('请填写企业微信账号（userid）');
    if (!input.role) throw new ContactsError('请选择联系人角色');
    if (input.unit_id != null && !(await table(this.db, 'units').where({ id: input.unit_id }).first())) throw new ContactsError(`单位不存在：${input.unit_id}`);
    const id = await this.db.transaction(async (trx) => {
      const [row] = await table(trx, 'contacts')
        .insert({
          unit_id: input.unit_id ?? null,
          wecom_userid: input.wecom_userid!.trim(),
          name: input.name?.trim() || null,
          role: input.role,
          phone: input.phone?.trim() || null,
          reachable: true,
          active: input.active ?? true,
          created_at: at.getTime(),
          updated_at: at.getTime(),
        })
        .returning('id');
      const contactId = Number(typeof row === 'object' ? row.id : row);
      await this.events.append({ type: 'contact.created', actor, at, contactId, unitId: input.unit_id ?? null, data: { ...input } }, trx);
      return contactId;
    });
    return this.contact(id);
  }

  async updateContact(id: number, patch: ContactInput, actor: string, at: Date) {
    if (patch.unit_id != null && !(await table(this.db, 'units').where({ id: patch.unit_id }).first())) throw new ContactsError(`单位不存在：${patch.unit_id}`);
    await this.db.transaction(async (trx) => {
      const before = await table(trx, 'contacts').where({ id }).first();
      if (!before) throw new ContactsError(`联系人不存在：${id}`, 404);
      const row: Record<string, unknown> = { updated_at: at.getTime() };
      if (patch.unit_id !== undefined) row.unit_id = patch.unit_id;
      if (patch.wecom_userid !== undefined) {
        if (!patch.wecom_userid.trim()) throw new ContactsError('企业微信账号不能为空');
        row.wecom_userid = patch.wecom_userid.trim();
      }
      if (patch.name !== undefined) row.name = patch.name?.trim() || null;
      if (patch.role !== undefined) row.role = patch.role;
      if (patch.phone !== undefined) row.phone = patch.phone?.trim() || null;
      if (patch.active !== undefined) row.active = patch.active;
      if (patch.reachable !== undefined) {
        row.reachable = patch.reachable;
        if (patch.reachable) row.unreachable_reason = null;
      }
      await table(trx, 'contacts').where({ id }).update(row);
      await this.events.append(
        { type: 'contact.updated', actor, at, contactId: id, unitId: (patch.unit_id ?? before.unit_id) || null, data: { changed: patch } },
        trx,
      );
    });
    return this.contact(id);
  }

  async listSupervisions(contactId?: number) {
    const q = this.db('supervisions as s').join('contacts as c', 'c.id', 's.contact_id').leftJoin('units as u', 'u.id', 's.unit_id');
    if (contactId !== undefined) q.where('s.contact_id', contactId);
    const rows = await q.select<SupervisionWithNamesRow[]>('s.*', 'c.name as contact_name', 'u.name as unit_name').orderBy('s.id');
    return rows.map(supervisionView);
  }

  async addSupervision(input: { contact_id: number; unit_id?: number | null; jurisdiction?: string | null }, actor: string, at: Date) {
    const jurisdiction = input.jurisdiction?.trim() || null;
    if ((input.unit_id == null) === (jurisdiction === null)) throw new ContactsError('督办范围须指定一个单位或一个辖区（二选一）');
    if (!(await table(this.db, 'contacts').where({ id: input.contact_id }).first())) throw new ContactsError(`联系人不存在：${input.contact_id}`);
    if (input.unit_id != null && !(await table(this.db, 'units').where({ id: input.unit_id }).first())) throw new ContactsError(`单位不存在：${input.unit_id}`);
    const id = await this.db.transaction(async (trx) => {
      const [row] = await table(trx, 'supervisions')
        .insert({ contact_id: input.contact_id, unit_id: input.unit_id ?? null, jurisdiction, created_at: at.getTime() })
        .returning('id');
      const sid = Number(typeof row === 'object' ? row.id : row);
      await this.events.append(
        { type: 'supervision.added', actor, at, contactId: input.contact_id, unitId: input.unit_id ?? null, data: { supervision_id: sid, jurisdiction } },
        trx,
      );
      return sid;
    });
    return (await this.listSupervisions()).find((s) => s.id === id)!;
  }

  async removeSupervision(id: number, actor: string, at: Date) {
    await this.db.transaction(async (trx) => {
      const row = await table(trx, 'supervisions').where({ id }).first();
      if (!row) throw new ContactsError(`督办范围不存在：${id}`, 404);
      await table(trx, 'supervisions').where({ id }).del();
      await this.events.append(
        { type: 'supervision.removed', actor, at, contactId: Number(row.contact_id), unitId: row.unit_id ?? null, data: { supervision_id: id, jurisdiction: row.jurisdiction ?? null } },
        trx,
      );
    });
  }
}

function unitView(r: UnitCountsRow): UnitView {
  return {
    id: Number(r.id),
    name: r.name,
    jurisdiction: r.jurisdiction ?? null,
    supervising_unit_id: r.supervising_unit_id ?? null,
    contacts: Number(r.contacts ?? 0),
    unreachable: Number(r.unreachable ?? 0),
    open_work_orders: Number(r.open_work_orders ?? 0),
  };
}

function contactView(r: ContactWithUnitRow): ContactView {
  return {
    id: Number(r.id),
    unit_id: r.unit_id === null ? null : Number(r.unit_id),
    unit_name: r.unit_name ?? null,
    wecom_userid: r.wecom_userid,
    name: r.name ?? null,
    role: r.role,
    role_label: CONTACT_ROLE_LABELS[r.role as ContactRole] ?? r.role,
    phone: r.phone ?? null,
    reachable: toBool(r.reachable),
    unreachable_reason: r.unreachable_reason ?? null,
    active: toBool(r.active),
    updated_at: new Date(Number(r.updated_at)).toISOString(),
  };
}

function supervisionView(r: SupervisionWithNamesRow): SupervisionView {
  return {
    id: Number(r.id),
    contact_id: Number(r.contact_id),
    contact_name: r.contact_name ?? null,
    unit_id: r.unit_id === null ? null : Number(r.unit_id),
    unit_name: r.unit_name ?? null,
    jurisdiction: r.jurisdiction ?? null,
  };
}
