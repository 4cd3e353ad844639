/** Sign-in, sign-out and "who am I" for the console. */
import type { Response } from 'express';
import { parse as parseCookie } from 'cookie';
import { z } from 'zod';
import { ALL_ROLES, ApiError, route, type RouteDef } from './framework';
import type { ApiDeps } from './index';
import { SESSION_COOKIE, sessionCookie } from '../auth/cookies';
import { ROLE_LABELS, type User } from '../auth/users';
import { HasherBusyError, passwordHasher } from '../auth/hasher';

export function userJson(u: User) {
  return {
    id: u.id,
    username: u.username,
    display_name: u.displayName,
    role: u.role,
    role_label: ROLE_LABELS[u.role],
    contact_id: u.contactId,
    /** Set for an account that signs in from WeCom (no password). */
    wecom_userid: u.wecomUserid,
    active: u.active,
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
  };
}

/** Too many password checks at once in this instance: 503, try again in a second. */
function busy(res: Response): ApiError {
  res.setHeader('Retry-After', '1');
  return new ApiError(503, 'busy', '登录请求过多，请稍后再试');
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function authRoutes(deps: ApiDeps): RouteDef[] {
  return [
    route({
      method: 'post',
      path: '/auth/login',
      tag: '登录',
      summary: '登录控制台（设置会话 Cookie，返回 CSRF 令牌；失败过多时 429 并给出 Retry-After）',
      roles: ALL_ROLES,
      public: true,
      body: z.object({
        username: z.string().trim().min(1, '请输入用户名').max(64),
        password: z.string().min(1, '请输入密码').max(200),
      }),
      async handler({ body, ctx, req, res }) {
        const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
        // A refusal is answered late (refuseDelayMs), so a guesser in a loop stays slow.
        const refuse = async (e: ApiError): Promise<never> => {
          await pause(deps.throttle.policy.refuseDelayMs);
          throw e;
        };
        // Cheapest first: a block this process knows of, then a full queue of password checks
        // (neither touches the database), then the shared count in the database.
        const known = deps.throttle.knownBlock(ip, body.username, ctx.clock.now());
        if (!known && passwordHasher().saturated()) await refuse(busy(res));
        const blocked = known ?? (await deps.throttle.blocked(ip, body.username, ctx.clock.now()));
        if (blocked) {
          res.setHeader('Retry-After', String(blocked.retryAfterS));
          const minutes = Math.ceil(blocked.retryAfterS / 60);
          await refuse(new ApiError(
            429,
            'too_many_attempts',
            blocked.scope === 'user'
              ? `该账号登录失败次数过多，已暂停登录，请 ${minutes} 分钟后再试`
              : `来自该网络地址的登录失败次数过多，已暂停登录，请 ${minutes} 分钟后再试`,
          ));
        }
        let user: User | null;
        try {
          user = await deps.users.authenticate(body.username, body.password);
        } catch (e) {
          if (!(e instanceof HasherBusyError)) throw e;
          return refuse(busy(res));
        }
        const now = ctx.clock.now();
        if (!user) {
          await deps.throttle.failed(ip, body.username, now);
          throw new ApiError(401, 'bad_credentials', '用户名或密码错误，或账号已停用');
        }
        await deps.throttle.succeeded(body.username);
        const s = await deps.sessions.create(user.id, now);
        await ctx.events.append({ type: 'user.login', actor: `admin:${user.username}`, at: now, data: { user_id: user.id, ip: req.ip } });
        res.setHeader('Set-Cookie', sessionCookie(ctx, req, s.id));
        return { user: userJson(user), csrf_token: s.csrfToken };
      },
    }),
    route({
      method: 'post',
      path: '/auth/logout',
      tag: '登录',
      summary: '退出登录',
      roles: [...ALL_ROLES, 'contact'],
      async handler({ ctx, req, res, principal }) {
        const sid = parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE];
        if (sid) await deps.sessions.destroy(sid);
        res.setHeader('Set-Cookie', sessionCookie(ctx, req, null));
        if (principal.kind === 'user') {
          await ctx.events.append({ type: 'user.logout', actor: principal.actor, at: ctx.clock.now(), data: { user_id: principal.user.id } });
        }
        return { ok: true };
      },
    }),
    route({
      method: 'get',
      path: '/auth/me',
      tag: '登录',
      summary: '当前用户、CSRF 令牌与可见范围',
      roles: [...ALL_ROLES, 'contact'],
      async handler({ principal, scope, ctx }) {
        if (principal.kind === 'token') {
          return {
            user: { id: null, username: 'token', display_name: 'ADMIN_TOKEN', role: 'admin', role_label: ROLE_LABELS.admin, unit_name: null, contact_id: null, signed_in_via: 'token' },
            csrf_token: null,
            scope,
          };
        }
        const u = principal.user;
        // The unit shown with the name: the linked contact's, else the first unit the WeCom user serves.
        const contacts = u.wecomUserid
          ? await ctx.chat.contacts.byUserid(u.wecomUserid)
          : u.contactId !== null
            ? [await ctx.chat.contacts.get(u.contactId)].filter((c) => c !== null)
            : [];
        const contact = contacts.find((c) => c.id === u.contactId) ?? contacts.find((c) => c.unitName) ?? contacts[0] ?? null;
        return {
          user: {
            ...userJson(u),
            display_name: u.displayName ?? contact?.name ?? null,
            unit_name: contact?.unitName ?? null,
            contact_id: contact?.id ?? u.contactId,
            signed_in_via: principal.via,
          },
          csrf_token: principal.csrfToken,
          scope,
        };
      },
    }),
  ];
}
