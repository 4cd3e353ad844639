/**
 * Units, contacts and supervisions for the console. The API works against ContactsAdminStore
 * (implemented here over the contacts, units and supervisions tables) and an optional
 * ContactsImporter that the conversation module provides (`cli contacts import`'s service).
 */
import { z } from 'zod';
import type { Knex } from 'knex';
import { toBool } from '../../db/knex';
import type { EventLog } from '../../domain/events/events';
import { normalizeName } from '../../domain/import/identity';
import { ADMIN, ALL_ROLES, ApiError, idParam, notFound, pageQuery, queryBool, route, type RouteDef } from './framework';
import type { ApiDeps } from './index';
import type { UnitScope } from '../auth/principal';
import { CONTACT_ROLES, ROLE_LABELS as CONTACT_ROLE_LABELS, type ContactRole } from '../../domain/contacts/parse';

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

type Scope = number[] | null;

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
    const [c] = await this.unitsQuery(f, scope).count({ n: '*' });
    const rows = await this.unitsQuery(f, scope)
      .select('u.*')
      .select(
        this.db('contacts as c').whereRaw('c.unit_id = u.id').where('c.active', true).count('*').as('contacts'),
        this.db('contacts as c').whereRaw('c.unit_id = u.id').where('c.active', true).where('c.reachable', false).count('*').as('unreachable'),
        this.db('work_orders as w').whereRaw('w.unit_id = u.id').whereIn('w.state', ['new', 'notified', 'replied', 'rejected']).count('*').as('open_work_orders'),
      )
      .orderBy([{ column: 'u.jurisdiction', order: 'asc' }, { column: 'u.name', order: 'asc' }])
      .limit(f.pageSize)
      .offset((f.page - 1) * f.pageSize);
    return { items: rows.map(unitView), total: Number((c as any).n) };
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
      .select(
        this.db('contacts as c').whereRaw('c.unit_id = u.id').where('c.active', true).count('*').as('contacts'),
        this.db('contacts as c').whereRaw('c.unit_id = u.id').where('c.active', true).where('c.reachable', false).count('*').as('unreachable'),
        this.db('work_orders as w').whereRaw('w.unit_id = u.id').whereIn('w.state', ['new', 'notified', 'replied', 'rejected']).count('*').as('open_work_orders'),
      )
      .first();
    return row ? unitView(row) : null;
  }

  async createUnit(input: { name: string; jurisdiction?: string | null }, actor: string, at: Date) {
    const name = input.name.trim();
    if (!name) throw new ContactsError('单位名称不能为空');
    const id = await this.db.transaction(async (trx) => {
      const exists = await trx('units').where({ normalized_name: normalizeName(name) }).first();
      if (exists) throw new ContactsError(`单位已存在：${exists.name}（#${exists.id}）`, 409);
      const [row] = await trx('units')
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
      const before = await trx('units').where({ id }).first();
      if (!before) throw new ContactsError(`单位不存在：${id}`, 404);
      const row: Record<string, unknown> = { updated_at: at.getTime() };
      if (patch.name !== undefined) {
        const name = patch.name.trim();
        if (!name) throw new ContactsError('单位名称不能为空');
        const clash = await trx('units').where({ normalized_name: normalizeName(name) }).whereNot({ id }).first();
        if (clash) throw new ContactsError(`已有同名单位：${clash.name}（#${clash.id}）`, 409);
        row.name = name;
        row.normalized_name = normalizeName(name);
      }
      if (patch.jurisdiction !== undefined) row.jurisdiction = patch.jurisdiction?.trim() || null;
      await trx('units').where({ id }).update(row);
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
      q.where((w) => w.whereRaw("c.name like ? escape '\\'", [like]).orWhereRaw("c.wecom_userid like ? escape '\\'", [like]).orWhereRaw("u.name like ? escape '\\'", [like]));
    }
    return q;
  }

  async listContacts(
    f: { unitId?: number; role?: string; reachable?: boolean; active?: boolean; q?: string; page: number; pageSize: number },
    scope: Scope,
  ) {
    const [c] = await this.contactsQuery(f, scope).count({ n: '*' });
    const rows = await this.contactsQuery(f, scope)
      .select('c.*', 'u.name as unit_name')
      .orderBy([{ column: 'u.name', order: 'asc' }, { column: 'c.id', order: 'asc' }])
      .limit(f.pageSize)
      .offset((f.page - 1) * f.pageSize);
    return { items: rows.map(contactView), total: Number((c as any).n) };
  }

  private async contact(id: number): Promise<ContactView> {
    const row = await this.db('contacts as c').leftJoin('units as u', 'u.id', 'c.unit_id').where('c.id', id).select('c.*', 'u.name as unit_name').first();
    if (!row) throw new ContactsError(`联系人不存在：${id}`, 404);
    return contactView(row);
  }

  async createContact(input: ContactInput, actor: string, at: Date) {
    if (!input.wecom_userid?.trim()) throw new ContactsError('请填写企业微信账号（userid）');
    if (!input.role) throw new ContactsError('请选择联系人角色');
    if (input.unit_id != null && !(await this.db('units').where({ id: input.unit_id }).first())) throw new ContactsError(`单位不存在：${input.unit_id}`);
    const id = await this.db.transaction(async (trx) => {
      const [row] = await trx('contacts')
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
    if (patch.unit_id != null && !(await this.db('units').where({ id: patch.unit_id }).first())) throw new ContactsError(`单位不存在：${patch.unit_id}`);
    await this.db.transaction(async (trx) => {
      const before = await trx('contacts').where({ id }).first();
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
      await trx('contacts').where({ id }).update(row);
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
    const rows = await q.select('s.*', 'c.name as contact_name', 'u.name as unit_name').orderBy('s.id');
    return rows.map(supervisionView);
  }

  async addSupervision(input: { contact_id: number; unit_id?: number | null; jurisdiction?: string | null }, actor: string, at: Date) {
    const jurisdiction = input.jurisdiction?.trim() || null;
    if ((input.unit_id == null) === (jurisdiction === null)) throw new ContactsError('督办范围须指定一个单位或一个辖区（二选一）');
    if (!(await this.db('contacts').where({ id: input.contact_id }).first())) throw new ContactsError(`联系人不存在：${input.contact_id}`);
    if (input.unit_id != null && !(await this.db('units').where({ id: input.unit_id }).first())) throw new ContactsError(`单位不存在：${input.unit_id}`);
    const id = await this.db.transaction(async (trx) => {
      const [row] = await trx('supervisions')
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
      const row = await trx('supervisions').where({ id }).first();
      if (!row) throw new ContactsError(`督办范围不存在：${id}`, 404);
      await trx('supervisions').where({ id }).del();
      await this.events.append(
        { type: 'supervision.removed', actor, at, contactId: Number(row.contact_id), unitId: row.unit_id ?? null, data: { supervision_id: id, jurisdiction: row.jurisdiction ?? null } },
        trx,
      );
    });
  }
}

function unitView(r: any): UnitView {
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

function contactView(r: any): ContactView {
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

function supervisionView(r: any): SupervisionView {
  return {
    id: Number(r.id),
    contact_id: Number(r.contact_id),
    contact_name: r.contact_name ?? null,
    unit_id: r.unit_id === null ? null : Number(r.unit_id),
    unit_name: r.unit_name ?? null,
    jurisdiction: r.jurisdiction ?? null,
  };
}

const scopeIds = (s: UnitScope): Scope => (s.all ? null : s.unitIds);

const contactBody = z.object({
  unit_id: z.number().int().positive().nullable().optional(),
  wecom_userid: z.string().trim().min(1, '企业微信账号不能为空').max(64).regex(/^[A-Za-z0-9_.@-]+$/, '企业微信账号只能包含字母、数字和 _ . @ -').optional(),
  name: z.string().trim().max(100).nullable().optional(),
  role: z.enum(CONTACT_ROLES, { message: `角色须为 ${CONTACT_ROLES.join('、')} 之一` }).optional(),
  phone: z.string().trim().max(40).nullable().optional(),
  reachable: z.boolean().optional(),
  active: z.boolean().optional(),
});

export function contactRoutes(deps: ApiDeps): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/units',
      tag: '通讯录',
      summary: '单位列表（联系人数、不可达联系人数、在办工单数）',
      roles: ALL_ROLES,
      query: z.object({ ...pageQuery, q: z.string().trim().max(100).optional(), jurisdiction: z.string().trim().max(100).optional() }),
      async handler({ query, scope }) {
        const r = await deps.contacts.listUnits({ q: query.q || undefined, jurisdiction: query.jurisdiction || undefined, page: query.page, pageSize: query.page_size }, scopeIds(scope));
        return { ...r, page: query.page, page_size: query.page_size };
      },
    }),
    route({
      method: 'post',
      path: '/units',
      tag: '通讯录',
      summary: '新建单位',
      roles: ADMIN,
      body: z.object({ name: z.string().trim().min(1, '单位名称不能为空').max(200), jurisdiction: z.string().trim().max(100).nullish() }),
      async handler({ body, ctx, actor }) {
        return deps.contacts.createUnit(body, actor, ctx.clock.now());
      },
    }),
    route({
      method: 'patch',
      path: '/units/:id',
      tag: '通讯录',
      summary: '修改单位名称或辖区',
      roles: ADMIN,
      params: idParam,
      body: z.object({ name: z.string().trim().min(1, '单位名称不能为空').max(200).optional(), jurisdiction: z.string().trim().max(100).nullable().optional() }),
      async handler({ params, body, ctx, actor }) {
        return deps.contacts.updateUnit(params.id, body, actor, ctx.clock.now());
      },
    }),
    route({
      method: 'get',
      path: '/contacts',
      tag: '通讯录',
      summary: '联系人列表（按单位、角色、是否可达筛选）',
      roles: ALL_ROLES,
      query: z.object({
        ...pageQuery,
        unit_id: z.coerce.number().int().positive().optional(),
        role: z.enum(CONTACT_ROLES).optional(),
        reachable: queryBool.optional().describe('false：只看企业微信无法送达的联系人'),
        active: queryBool.optional(),
        q: z.string().trim().max(100).optional(),
      }),
      async handler({ query, scope }) {
        const r = await deps.contacts.listContacts(
          { unitId: query.unit_id, role: query.role, reachable: query.reachable, active: query.active, q: query.q || undefined, page: query.page, pageSize: query.page_size },
          scopeIds(scope),
        );
        return { ...r, page: query.page, page_size: query.page_size };
      },
    }),
    route({
      method: 'post',
      path: '/contacts',
      tag: '通讯录',
      summary: '新建联系人',
      roles: ADMIN,
      body: contactBody.extend({ wecom_userid: contactBody.shape.wecom_userid.unwrap(), role: contactBody.shape.role.unwrap() }),
      async handler({ body, ctx, actor }) {
        return deps.contacts.createContact(body, actor, ctx.clock.now());
      },
    }),
    route({
      method: 'patch',
      path: '/contacts/:id',
      tag: '通讯录',
      summary: '修改联系人（reachable=true 表示已核实可送达）',
      roles: ADMIN,
      params: idParam,
      body: contactBody,
      async handler({ params, body, ctx, actor }) {
        return deps.contacts.updateContact(params.id, body, actor, ctx.clock.now());
      },
    }),
    route({
      method: 'post',
      path: '/contacts/import',
      tag: '通讯录',
      summary: '导入通讯录文件（dry_run=true 只预览）',
      roles: ADMIN,
      upload: true,
      body: z.object({ dry_run: z.enum(['true', 'false']).optional().transform((v) => v === 'true') }),
      async handler({ body, file, ctx, actor }) {
        if (!deps.contactsImporter) throw new ApiError(501, 'not_available', '通讯录导入由对话模块提供，当前版本尚未接入；请先逐条添加联系人');
        if (!file) throw new ApiError(400, 'invalid_upload', '请选择通讯录文件（字段名 file）');
        const result = await deps.contactsImporter.importFile(file.path, { dryRun: body.dry_run, actor, fileName: file.originalName });
        await ctx.events.append({ type: 'contacts.import_requested', actor, at: ctx.clock.now(), data: { file: file.originalName, dry_run: body.dry_run } });
        return result;
      },
    }),
    route({
      method: 'get',
      path: '/supervisions',
      tag: '通讯录',
      summary: '督办范围（督办人负责的单位或辖区）',
      roles: ADMIN,
      query: z.object({ contact_id: z.coerce.number().int().positive().optional() }),
      async handler({ query }) {
        return { items: await deps.contacts.listSupervisions(query.contact_id) };
      },
    }),
    route({
      method: 'post',
      path: '/supervisions',
      tag: '通讯录',
      summary: '添加督办范围（单位或辖区二选一）',
      roles: ADMIN,
      body: z.object({ contact_id: z.number().int().positive(), unit_id: z.number().int().positive().nullish(), jurisdiction: z.string().trim().max(100).nullish() }),
      async handler({ body, ctx, actor }) {
        return deps.contacts.addSupervision(body, actor, ctx.clock.now());
      },
    }),
    route({
      method: 'delete',
      path: '/supervisions/:id',
      tag: '通讯录',
      summary: '移除督办范围',
      roles: ADMIN,
      params: idParam,
      async handler({ params, ctx, actor }) {
        await deps.contacts.removeSupervision(params.id, actor, ctx.clock.now());
        return { ok: true };
      },
    }),
  ];
}
