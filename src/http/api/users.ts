/** Console accounts (admins only). */
import { z } from 'zod';
import { ADMIN, idParam, route, type RouteDef } from './framework';
import type { ApiDeps } from './index';
import { userJson } from './auth';
import { generatePassword, PASSWORD_TOO_LONG, passwordTooLong, ROLES } from '../auth/users';

export function usersRoutes(deps: ApiDeps): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/users',
      tag: '用户',
      summary: '用户列表',
      roles: ADMIN,
      async handler() {
        return { items: (await deps.users.list()).map(userJson) };
      },
    }),
    route({
      method: 'post',
      path: '/users',
      tag: '用户',
      summary: '新建用户（不给密码则生成一个并只返回这一次）',
      roles: ADMIN,
      body: z.object({
        username: z.string().trim().min(2).max(64),
        display_name: z.string().trim().max(100).nullish(),
        role: z.enum(ROLES, { message: '角色须为 admin、supervisor 或 viewer' }),
        contact_id: z.number().int().positive().nullish(),
        password: z.string().min(8, '密码至少 8 个字符').refine((v) => !passwordTooLong(v), PASSWORD_TOO_LONG).optional(),
      }),
      async handler({ body, ctx, actor }) {
        const password = body.password ?? generatePassword();
        const user = await deps.users.create(
          { username: body.username, displayName: body.display_name, role: body.role, contactId: body.contact_id, password },
          actor,
          ctx.clock.now(),
        );
        return { user: userJson(user), ...(body.password ? {} : { generated_password: password }) };
      },
    }),
    route({
      method: 'patch',
      path: '/users/:id',
      tag: '用户',
      summary: '修改用户（角色、联系人、停用、重置密码）',
      roles: ADMIN,
      params: idParam,
      body: z.object({
        display_name: z.string().trim().max(100).nullish(),
        role: z.enum(ROLES, { message: '角色须为 admin、supervisor 或 viewer' }).optional(),
        contact_id: z.number().int().positive().nullable().optional(),
        active: z.boolean().optional(),
        password: z.string().min(8, '密码至少 8 个字符').refine((v) => !passwordTooLong(v), PASSWORD_TOO_LONG).optional(),
      }),
      async handler({ params, body, ctx, actor }) {
        const user = await deps.users.update(
          params.id,
          { displayName: body.display_name, role: body.role, contactId: body.contact_id, active: body.active, password: body.password },
          actor,
          ctx.clock.now(),
        );
        return { user: userJson(user) };
      },
    }),
  ];
}
