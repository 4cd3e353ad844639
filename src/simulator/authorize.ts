/**
 * The simulator's side of sign-in from WeCom: the pages a member would see at
 * `connect/oauth2/authorize` (网页授权, inside WeCom) and `wwlogin/sso/login` (QR sign-in of the
 * desktop console). Here the simulated member is picked (or confirmed) on a form; the page then
 * sends the browser to the redirect_uri with a `code` (single use, 5 minutes; the fake's
 * auth/getuserinfo turns it into the userid) and the `state` it was given.
 *
 * Signing in as any member is the power of the simulator's chat page, so the same rule holds:
 * only a console admin (session cookie; the form carries the session's CSRF token) may use it.
 * Codes go only to this service's own callback (WeCom sends them only to a trusted domain).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Knex } from 'knex';
import type { WecomCredentials } from '../config';
import type { FakeWecom } from './fake-wecom';

export interface SimulatorAuthorizeDeps {
  fake: FakeWecom;
  credentials: WecomCredentials;
  db: Knex;
  /** Addresses of this service whose /auth/wecom/callback may receive codes. */
  serviceBases: () => string[];
  /**
   * The signed-in console admin's CSRF token; null when the caller is not one (the page then
   * sends the browser to the console's sign-in and back). Tests of the page alone omit it.
   */
  admin?: (req: Request, res: Response) => Promise<{ csrfToken: string | null } | null>;
  /** The guard for the GET pages (sends a browser without an admin session to sign in). */
  pageGuard?: RequestHandler;
}

const USERID = /^[A-Za-z0-9_.@-]{1,64}$/;
const STATE = /^[A-Za-z0-9_-]{0,128}$/;
const CALLBACK_PATH = '/auth/wecom/callback';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

interface AuthorizeRequest {
  kind: 'oauth' | 'qr';
  appid: string;
  agentid: string;
  redirectUri: string;
  state: string;
}

export function createSimulatorAuthorize(deps: SimulatorAuthorizeDeps): Router {
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });

  /** What WeCom itself would refuse: a wrong appid or agentid, a redirect outside the trusted domain. */
  const check = (q: Record<string, unknown>, kind: 'oauth' | 'qr'): AuthorizeRequest | string => {
    const s = (k: string) => (typeof q[k] === 'string' ? q[k] : '');
    const a: AuthorizeRequest = { kind, appid: s('appid'), agentid: s('agentid'), redirectUri: s('redirect_uri'), state: s('state') };
    if (a.appid !== deps.credentials.corpId) return 'appid 参数错误（不是本企业的 CorpID）';
    if (a.agentid && a.agentid !== String(deps.credentials.agentId)) return 'agentid 参数错误（不是本应用）';
    if (kind === 'oauth' && (s('response_type') || 'code') !== 'code') return 'response_type 须为 code';
    if (kind === 'oauth' && !['snsapi_base', 'snsapi_privateinfo'].includes(s('scope') || 'snsapi_base')) return 'scope 参数错误';
    if (kind === 'qr' && (s('login_type') || 'CorpApp') !== 'CorpApp') return 'login_type 须为 CorpApp';
    if (!STATE.test(a.state)) return 'state 参数错误（最多 128 个字母或数字）';
    let url: URL;
    try {
      url = new URL(a.redirectUri);
    } catch {
      return 'redirect_uri 参数错误';
    }
    const trusted = deps.serviceBases().some((b) => {
      try {
        return new URL(b).origin === url.origin;
      } catch {
        return false;
      }
    });
    if (!trusted || url.pathname !== CALLBACK_PATH) return 'redirect_uri 不在可信域名内（50001）';
    return a;
  };

  const errorPage = (res: Response, message: string) =>
    res.status(400).type('html').send(page('授权失败', `<p class="auth-error">${esc(message)}</p>`));

  const show = (kind: 'oauth' | 'qr'): RequestHandler => async (req, res, next) => {
    try {
      const a = check(req.query, kind);
      if (typeof a === 'string') return void errorPage(res, a);
      const who = deps.admin ? await deps.admin(req, res) : { csrfToken: null };
      if (!who) return;
      const rows = await deps.db('contacts as c')
        .leftJoin('units as u', 'u.id', 'c.unit_id')
        .where('c.active', true)
        .orderBy('c.id')
        .select('c.wecom_userid as userid', 'c.name', 'u.name as unit');
      const seen = new Map<string, string>();
      for (const x of rows as { userid: string; name: string | null; unit: string | null }[]) {
        const label = `${x.name ?? x.userid}${x.unit ? `（${x.unit}）` : ''}`;
        seen.set(x.userid, seen.has(x.userid) ? `${seen.get(x.userid)}、${x.unit ?? ''}` : `${x.userid} · ${label}`);
      }
      const chosen = deps.fake.lastUserid;
      const options = [...seen]
        .map(([u, label]) => `<option value="${esc(u)}"${u === chosen ? ' selected' : ''}>${esc(label)}</option>`)
        .join('');
      const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${esc(value)}">`;
      const title = kind === 'oauth' ? '企业微信授权登录（模拟）' : '企业微信扫码登录（模拟）';
      res.type('html').send(
        page(
          title,
          `<p>应用将获取您的企业微信账号（成员 UserID）用于登录“整改督办”控制台。请选择以哪位成员的身份登录：</p>
<form method="post" action="/simulator/connect/oauth2/authorize" class="auth-form">
${hidden('kind', kind)}${hidden('appid', a.appid)}${hidden('agentid', a.agentid)}${hidden('redirect_uri', a.redirectUri)}${hidden('state', a.state)}${hidden('csrf', who.csrfToken ?? '')}
<label>成员 <select name="userid">${options}</select></label>
<label>或输入其他 UserID（不在联系人名单中的成员）<input name="other" maxlength="64" autocomplete="off"></label>
<button type="submit">确认登录</button>
</form>`,
        ),
      );
    } catch (e) {
      next(e);
    }
  };

  if (deps.pageGuard) {
    r.get('/simulator/connect/oauth2/authorize', deps.pageGuard);
    r.get('/simulator/wwlogin/sso/login', deps.pageGuard);
  }
  r.get('/simulator/connect/oauth2/authorize', show('oauth'));
  r.get('/simulator/wwlogin/sso/login', show('qr'));

  r.post('/simulator/connect/oauth2/authorize', form, async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const kind = body.kind === 'qr' ? 'qr' : 'oauth';
      const a = check(body, kind);
      if (typeof a === 'string') return void errorPage(res, a);
      if (deps.admin) {
        const who = await deps.admin(req, res);
        if (!who) return;
        if (!who.csrfToken || body.csrf !== who.csrfToken) {
          return void res.status(403).type('html').send(page('授权失败', '<p class="auth-error">页面已过期，请返回重新打开登录链接。</p>'));
        }
      }
      const other = typeof body.other === 'string' ? body.other.trim() : '';
      const userid = other || (typeof body.userid === 'string' ? body.userid : '');
      if (!USERID.test(userid)) return void errorPage(res, '成员 UserID 无效：只能包含字母、数字和 _ . @ -');
      const code = deps.fake.issueOauthCode(userid);
      const url = new URL(a.redirectUri);
      url.searchParams.set('code', code);
      url.searchParams.set('state', a.state);
      res.redirect(302, url.toString());
    } catch (e) {
      next(e);
    }
  });
  return r;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><link rel="stylesheet" href="/simulator/style.css"></head>
<body class="auth"><main class="auth-box"><h1>${esc(title)}</h1>${body}</main></body></html>`;
}
