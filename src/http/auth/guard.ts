/**
 * Who is calling, for every signed-in area: the JSON API under /api and the simulator's page.
 * A console session (HttpOnly cookie; state-changing requests also carry the session's CSRF
 * token in X-CSRF-Token) or the ADMIN_TOKEN bearer token (acts as an admin; no cookie, so no
 * CSRF).
 */
import type { Request, RequestHandler } from 'express';
import { parse as parseCookie } from 'cookie';
import type { AppContext } from '../../app/context';
import { consoleRoleOf } from '../../domain/contacts/service';
import { SESSION_COOKIE } from './cookies';
import { tokenMatches, type Principal } from './principal';
import type { SessionStore } from './sessions';
import type { Role, UserStore } from './users';

/** The caller; null when not signed in; 'bad_token' for a wrong bearer token (401 even with a cookie). */
export async function resolvePrincipal(
  ctx: AppContext,
  users: UserStore,
  sessions: SessionStore,
  req: Request,
): Promise<Principal | null | 'bad_token'> {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (m && tokenMatches(m[1].trim(), ctx.config.adminToken)) return { kind: 'token', role: 'admin', actor: 'token' };
    return 'bad_token';
  }
  const sid = parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE];
  if (!sid) return null;
  const session = await sessions.get(sid, ctx.clock.now());
  if (!session) return null;
  const user = await users.get(session.userId);
  if (!user || !user.active) return null;
  if (user.wecomUserid) {
    // Signed in from WeCom: the role follows the contact records now, not as they were at sign-in;
    // without an active contact left, the session is over.
    const role = consoleRoleOf(await ctx.chat.contacts.byUserid(user.wecomUserid));
    if (!role) return null;
    return { kind: 'user', user: { ...user, role }, role, actor: `wecom:${user.wecomUserid}`, csrfToken: session.csrfToken, via: 'wecom' };
  }
  return { kind: 'user', user, role: user.role, actor: `admin:${user.username}`, csrfToken: session.csrfToken, via: 'password' };
}

export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A cookie-authenticated change without the session's CSRF token. */
export function csrfMissing(principal: Principal, req: Request): boolean {
  return principal.kind === 'user' && STATE_CHANGING.has(req.method) && req.headers['x-csrf-token'] !== principal.csrfToken;
}

export interface SessionGuardOptions {
  roles: readonly Role[];
  /**
   * 'page': a browser navigating (not signed in: redirect to the console's sign-in, which comes
   * back here); 'api': JSON answers 401/403.
   */
  kind: 'page' | 'api';
  /** What a signed-in user without the role is told. */
  forbidden: string;
}

/** Requires a console session (or ADMIN_TOKEN) with one of the roles; CSRF on changes. */
export function requireSession(
  ctx: AppContext,
  users: UserStore,
  sessions: SessionStore,
  options: SessionGuardOptions,
): RequestHandler {
  return (req, res, next) => {
    void (async () => {
      const p = await resolvePrincipal(ctx, users, sessions, req);
      if (p === 'bad_token') return void res.status(401).json({ error: 'unauthorized', message: '令牌无效' });
      if (!p) {
        if (options.kind === 'page' && (req.method === 'GET' || req.method === 'HEAD')) {
          return void res.redirect(302, `/admin/?next=${encodeURIComponent(req.originalUrl)}`);
        }
        return void res.status(401).json({ error: 'unauthorized', message: '请先登录控制台' });
      }
      if (!options.roles.includes(p.role)) {
        return void res.status(403).type(options.kind === 'page' ? 'text/plain' : 'json').send(
          options.kind === 'page' ? options.forbidden : JSON.stringify({ error: 'forbidden', message: options.forbidden }),
        );
      }
      if (csrfMissing(p, req)) {
        return void res.status(403).json({ error: 'csrf', message: '请求缺少有效的 CSRF 令牌，请刷新页面后重试' });
      }
      res.locals.principal = p;
      next();
    })().catch(next);
  };
}
