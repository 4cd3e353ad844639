/**
 * Units, contacts and supervisions for the console: HTTP only, over ContactsAdminStore
 * (src/domain/contacts/admin-store.ts) and the optional ContactsImporter.
 */
import { z } from 'zod';
import { ADMIN, ALL_ROLES, ApiError, idParam, pageQuery, queryBool, route, type RouteDef } from './framework';
import type { ApiDeps } from './index';
import type { UnitScope } from '../auth/principal';
import { CONTACT_ROLES, type Scope } from '../../domain/contacts/admin-store';

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
