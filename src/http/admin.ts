/**
 * The admin area of the HTTP service: the JSON API under /api and the console under /admin.
 * Also the first account: in development on a loopback address, a service with no users
 * creates `admin` with a random password, which the caller shows once on the terminal (never
 * in the JSON log).
 */
import type { Express } from 'express';
import type { AppContext } from '../app/context';
import { createApiDeps, createApiRouter, type ApiDeps } from './api';
import { createConsoleRouter } from '../console/router';
import { generatePassword } from './auth/users';
import { mountMetrics } from './metrics';
import { createWecomSigninRouter } from './auth/wecom-signin';

export function mountAdmin(app: Express, ctx: AppContext, overrides: Partial<ApiDeps> = {}): ApiDeps {
  const deps = createApiDeps(ctx, overrides);
  app.use('/api', createApiRouter(ctx, deps));
  app.use(createWecomSigninRouter(ctx, deps));
  app.use('/admin', createConsoleRouter());
  mountMetrics(app, ctx);
  app.get('/', (_req, res) => res.redirect('/admin/'));
  return deps;
}

/**
 * Development on a loopback HOST only: with no users at all, create `admin` and return its
 * password for the caller to show once (main.ts prints it on stderr as a plain line). The log
 * says an account was made, never the password.
 */
export async function ensureDevelopmentAdmin(ctx: AppContext): Promise<{ username: string; password: string } | null> {
  if (ctx.config.env !== 'development' || !ctx.config.loopback) return null;
  const users = ctx.users;
  if ((await users.count()) > 0) return null;
  const password = generatePassword();
  await users.create({ username: 'admin', displayName: '管理员', role: 'admin', password }, 'system', ctx.clock.now());
  ctx.logger.warn(
    { username: 'admin' },
    '开发模式：尚无控制台用户，已创建管理员 admin，密码只在终端显示一次（可用 npm run -s cli -- users reset admin 重置）',
  );
  return { username: 'admin', password };
}
