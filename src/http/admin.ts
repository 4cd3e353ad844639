/**
 * The admin area of the HTTP service: the JSON API under /api and the console under /admin.
 * Also the first account: in development, a service with no users creates `admin` with a
 * random password and logs it once.
 */
import type { Express } from 'express';
import type { AppContext } from '../app/context';
import { createApiDeps, createApiRouter, type ApiDeps } from './api';
import { createConsoleRouter } from '../console/router';
import { generatePassword } from './auth/users';

export function mountAdmin(app: Express, ctx: AppContext, overrides: Partial<ApiDeps> = {}): ApiDeps {
  const deps = createApiDeps(ctx, overrides);
  app.use('/api', createApiRouter(ctx, deps));
  app.use('/admin', createConsoleRouter());
  app.get('/', (_req, res) => res.redirect('/admin/'));
  return deps;
}

/** Development only: with no users at all, create `admin` and log its password once. */
export async function ensureDevelopmentAdmin(ctx: AppContext): Promise<{ username: string; password: string } | null> {
  if (ctx.config.env !== 'development') return null;
  const users = ctx.users;
  if ((await users.count()) > 0) return null;
  const password = generatePassword();
  await users.create({ username: 'admin', displayName: '管理员', role: 'admin', password }, 'system', ctx.clock.now());
  ctx.logger.warn(
    { username: 'admin', password },
    `开发模式：尚无控制台用户，已创建管理员 admin，密码 ${password}（仅显示这一次；请登录后修改，或用 npm run -s cli -- users reset admin 重置）`,
  );
  return { username: 'admin', password };
}
