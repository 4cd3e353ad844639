/**
 * Sign-in from WeCom (网页授权, and the QR sign-in of the desktop console): no password for
 * unit contacts and supervisors. A link the bot sends (consoleLink) opens /auth/wecom/start,
 * which sends the browser to WeCom's authorize page with a random `state` that is also kept in
 * a short-lived HttpOnly cookie; WeCom sends the browser back to /auth/wecom/callback with a
 * `code` (single use, 5 minutes) and the `state`; the state must match the cookie (the guard
 * against a sign-in forced on someone else's browser), and auth/getuserinfo turns the code into
 * the WeCom userid. That userid's contact records make the console account's role (supervisor
 * or contact) and scope; a userid without an active contact record gets a page saying so, and
 * no session. The browser then lands on the console page it asked for (`next`).
 *
 * `next` is a console path (`/work-orders/12`, `/my`): it starts with one '/', has no scheme,
 * backslash or control character, and is only ever used after `/admin/#`, so it cannot lead
 * the browser to another site.
 */
import crypto from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import type { AppContext } from '../../app/context';
import { consoleRoleOf } from '../../domain/contacts/service';
import { ERRCODE, WecomApiError } from '../../wecom/errors';
import { secureCookies, sessionCookie } from './cookies';
import { resolvePrincipal } from './guard';
import type { SessionStore } from './sessions';
import type { UserStore } from './users';

export const STATE_COOKIE = 'rb_wecom_signin';
/** How long a sign-in may take between start and callback (WeCom's own code lives 5 minutes). */
export const STATE_TTL_S = 10 * 60;
const MAX_NEXT = 500;

/** The console path to land on, or null when it is not a safe one. */
export function safeNext(v: unknown): string | null {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_NEXT) return null;
  if (!v.startsWith('/') || v.startsWith('//')) return null;
  // No scheme-like, backslash, whitespace or control characters; only what a URL path and query may hold.
  if (!/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/.test(v)) return null;
  if (/[\\]/.test(v) || /^\/[a-z][a-z0-9+.-]*:/i.test(v)) return null;
  return v;
}

/** Where a console path is opened: the console routes by its hash. */
export function consoleLocation(next: string): string {
  return `/admin/#${next}`;
}

interface StateCookie {
  /** The state sent to WeCom. */
  s: string;
  /** The console path asked for. */
  n: string;
}

function readState(req: Request): StateCookie | null {
  const raw = parseCookie(req.headers.cookie ?? '')[STATE_COOKIE];
  if (!raw) return null;
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<StateCookie>;
    if (typeof v.s !== 'string' || typeof v.n !== 'string') return null;
    return { s: v.s, n: v.n };
  } catch {
    return null;
  }
}

/**
 * SameSite=Lax, not Strict: WeCom's page sends the browser back to the callback from another
 * site, and a Strict cookie would not come with it. Path-limited to /auth/wecom.
 */
function stateCookie(ctx: AppContext, req: Request, value: StateCookie | null): string {
  return serializeCookie(STATE_COOKIE, value ? Buffer.from(JSON.stringify(value)).toString('base64url') : '', {
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookies(ctx, req),
    path: '/auth/wecom',
    maxAge: value ? STATE_TTL_S : 0,
  });
}

function sameState(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A plain page in Chinese for a sign-in that cannot go on (no session is made). */
export function signinErrorPage(res: Response, status: number, title: string, message: string, retry: string | null = null): void {
  res.status(status);
  res.setHeader('Cache-Control', 'no-store');
  res.type('html').send(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>
<p>${retry ? `<a href="${escapeHtml(retry)}">重新登录</a> · ` : ''}<a href="/admin/">打开控制台（用户名和密码登录）</a></p></main></body></html>`);
}

export interface WecomSigninDeps {
  users: UserStore;
  sessions: SessionStore;
}

export function createWecomSigninRouter(ctx: AppContext, deps: WecomSigninDeps): Router {
  const r = express.Router();
  r.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  /** This service's address as WeCom must send the browser back to it; null when unknown. */
  const base = (): string | null => ctx.links.consoleBase;
  const callbackUrl = (b: string) => `${b}/auth/wecom/callback`;

  const begin = (kind: 'oauth' | 'qr') => (req: Request, res: Response) => {
    const next = req.query.next === undefined ? '/' : safeNext(req.query.next);
    if (next === null) {
      return signinErrorPage(res, 400, '链接无效', '登录后要打开的页面地址无效：只能是控制台内的页面（以 / 开头，例如 /work-orders/12 或 /my）。');
    }
    const b = base();
    if (!b) {
      return signinErrorPage(res, 503, '暂不能从企业微信登录', '服务未配置对外地址（PUBLIC_URL），企业微信无法把登录结果送回本服务。请联系管理员，或用用户名和密码登录控制台。');
    }
    const { corpId, agentId } = ctx.wecom.credentials;
    const state = crypto.randomBytes(16).toString('hex');
    res.setHeader('Set-Cookie', stateCookie(ctx, req, { s: state, n: next }));
    const redirect = encodeURIComponent(callbackUrl(b));
    if (kind === 'oauth') {
      const host = ctx.config.wecom.oauthBase ?? `${b}/simulator`;
      return void res.redirect(
        302,
        `${host}/connect/oauth2/authorize?appid=${encodeURIComponent(corpId)}&redirect_uri=${redirect}&response_type=code&scope=snsapi_base&state=${state}&agentid=${agentId}#wechat_redirect`,
      );
    }
    const host = ctx.config.wecom.loginBase ?? `${b}/simulator`;
    res.redirect(
      302,
      `${host}/wwlogin/sso/login?login_type=CorpApp&appid=${encodeURIComponent(corpId)}&agentid=${agentId}&redirect_uri=${redirect}&state=${state}`,
    );
  };

  r.get('/auth/wecom/start', begin('oauth'));
  r.get('/auth/wecom/qr', begin('qr'));

  r.get('/auth/wecom/callback', (req, res, nextFn) => {
    void (async () => {
      const saved = readState(req);
      // The cookie is used once, whatever happens next.
      res.setHeader('Set-Cookie', stateCookie(ctx, req, null));
      const state = typeof req.query.state === 'string' ? req.query.state : '';
      const code = typeof req.query.code === 'string' ? req.query.code : '';
      const retry = (n: string) => `/auth/wecom/start?next=${encodeURIComponent(n)}`;
      if (!saved || !state || !sameState(saved.s, state)) {
        await ctx.events.append({ type: 'user.login_refused', actor: 'anonymous', at: ctx.clock.now(), data: { via: 'wecom', reason: 'state', ip: req.ip } });
        return signinErrorPage(res, 400, '登录未完成', '登录请求已失效或不是从本浏览器发起的（可能打开了多个登录页，或等待超过 10 分钟）。请回到企业微信重新打开链接。', saved ? retry(saved.n) : null);
      }
      const next = safeNext(saved.n) ?? '/';
      if (!code || code.length > 512) {
        return signinErrorPage(res, 400, '登录未完成', '企业微信没有返回登录凭证（可能取消了授权）。', retry(next));
      }
      let userid: string | null;
      try {
        userid = (await ctx.wecom.client.getUserInfoByCode(code)).userid;
      } catch (e) {
        if (e instanceof WecomApiError && e.errcode === ERRCODE.invalidOauthCode) {
          await ctx.events.append({ type: 'user.login_refused', actor: 'anonymous', at: ctx.clock.now(), data: { via: 'wecom', reason: 'code', ip: req.ip } });
          return signinErrorPage(res, 400, '登录未完成', '登录凭证无效或已过期（每个凭证只能用一次，5 分钟内有效）。请重新登录。', retry(next));
        }
        ctx.logger.error({ err: e }, '企业微信登录：auth/getuserinfo 调用失败');
        return signinErrorPage(res, 502, '暂时无法登录', '暂时无法向企业微信确认您的身份，请稍后再试。', retry(next));
      }
      if (!userid) {
        return signinErrorPage(res, 403, '无法登录', '您不是本企业的成员，不能登录控制台。');
      }
      const contacts = await ctx.chat.contacts.byUserid(userid);
      const role = consoleRoleOf(contacts);
      const now = ctx.clock.now();
      if (!role) {
        await ctx.events.append({ type: 'user.login_refused', actor: `wecom:${userid}`, at: now, data: { via: 'wecom', reason: 'no_contact', userid, ip: req.ip } });
        return signinErrorPage(
          res,
          403,
          '无法登录',
          `企业微信账号 ${userid} 不在本系统的联系人名单中（或已停用），不能查看工单。请联系管理员在通讯录中登记后再试。`,
        );
      }
      // Already signed in as this same person (their WeCom account, or a password account linked
      // to one of their contact records): keep that session (an admin stays an admin).
      const current = await resolvePrincipal(ctx, deps.users, deps.sessions, req);
      if (current && current !== 'bad_token' && current.kind === 'user') {
        const u = current.user;
        const same = u.wecomUserid === userid || (u.contactId !== null && contacts.some((c) => c.id === u.contactId));
        if (same) return void res.redirect(302, consoleLocation(next));
      }
      const contact = contacts.find((c) => c.role === 'supervisor' || c.role === 'admin') ?? contacts.find((c) => c.unitId !== null) ?? contacts[0];
      const user = await deps.users.upsertWecomAccount({ userid, displayName: contact.name, role, contactId: contact.id }, now);
      if (!user.active) {
        return signinErrorPage(res, 403, '无法登录', '您的控制台账号已被管理员停用。');
      }
      const s = await deps.sessions.create(user.id, now);
      await ctx.events.append({ type: 'user.login', actor: `wecom:${userid}`, at: now, contactId: contact.id, data: { user_id: user.id, via: 'wecom', role, ip: req.ip } });
      res.append('Set-Cookie', sessionCookie(ctx, req, s.id));
      res.redirect(302, consoleLocation(next));
    })().catch(nextFn);
  });
  return r;
}
