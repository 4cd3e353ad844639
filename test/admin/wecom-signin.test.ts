/**
 * Sign-in from WeCom against the embedded simulator, on each database: a link the bot sends
 * goes through /auth/wecom/start → the simulator's authorize page → /auth/wecom/callback → a
 * console session with the role and scope of the WeCom user's contact records, landing on the
 * page asked for; and a unit contact's reply with a photo from the order page, as in chat.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios, { type AxiosResponse } from 'axios';
import type { Clock } from '../../src/clock';
import { startService, type RunningService } from '../../src/service';
import { OAUTH_CODE_TTL_MS } from '../../src/simulator/fake-wecom';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';
import { simulatorClient } from '../support/sim-session';
import { waitFor } from '../support/wait';
import { createLogger } from '../../src/logger';

const FIX = path.join(__dirname, '..', 'fixtures', 'console');
/** The smallest PNG (1×1). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** Real time, which a test may move forward (the service's loops keep running as usual). */
class MovableClock implements Clock {
  private offset = 0;
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** A browser's cookies, sent with every request (paths are not told apart: all are ours). */
class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private keep(res: AxiosResponse): void {
    for (const c of (res.headers['set-cookie']) ?? []) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (!value || attrs.some((a) => /max-age=0/i.test(a.trim()))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private get cookie(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string): Promise<AxiosResponse> {
    const res = await axios.get(url.startsWith('http') ? url : `${this.base}${url}`, {
      headers: { cookie: this.cookie },
      maxRedirects: 0,
      validateStatus: () => true,
      proxy: false,
      responseType: 'text',
      transformResponse: (d) => d,
    });
    this.keep(res);
    return res;
  }

  async postForm(url: string, fields: Record<string, string>): Promise<AxiosResponse> {
    const res = await axios.post(`${this.base}${url}`, new URLSearchParams(fields).toString(), {
      headers: { cookie: this.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      maxRedirects: 0,
      validateStatus: () => true,
      proxy: false,
      responseType: 'text',
    });
    this.keep(res);
    return res;
  }

  /** /api with the session's CSRF token (from /api/auth/me). */
  async api(method: 'GET' | 'POST', p: string, body?: FormData): Promise<AxiosResponse> {
    const me = method === 'GET' ? null : await this.get('/api/auth/me');
    const res = await axios.request({
      method,
      url: `${this.base}/api${p}`,
      data: body,
      headers: { cookie: this.cookie, ...(me ? { 'x-csrf-token': JSON.parse(me.data).csrf_token } : {}) },
      validateStatus: () => true,
      proxy: false,
    });
    this.keep(res);
    return res;
  }
}

const hidden = (html: string) => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([a-z_]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2].replace(/&amp;/g, '&')]));

describeEachDb('sign-in from WeCom (simulator)', (get) => describe('with the service running', () => {
  let svc: RunningService;
  let dir: string;
  let clock: MovableClock;
  let orders: { jia: number; yi: number; ding: number };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-signin-'));
    clock = new MovableClock();
    svc = await startService(testConfig({ PORT: '0', MEDIA_DIR: dir, JOBS_ENABLED: 'false' }), { db: get().db, migrate: false, pollIntervalMs: 30, clock, logger: createLogger(process.env.TEST_LOG ?? 'silent') });
    await svc.ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    await svc.ctx.imports.importFile(path.join(FIX, 'notice.csv'), { docNo: '乙政办字〔2026〕9号', title: '关于政务新媒体检查情况的通报' });
    const rows = await waitFor('every order notified', async () => {
      const r = await svc.ctx.db('work_orders as w').join('units as u', 'u.id', 'w.unit_id').select('w.id', 'w.state', 'u.name');
      return r.every((x: any) => x.state === 'notified') ? r : null;
    });
    const idOf = (unit: string) => Number(rows.find((r: any) => r.name === unit).id);
    orders = { jia: idOf('甲县教育局'), yi: idOf('乙市交通运输局'), ding: idOf('丁镇文化站') };
  });
  afterEach(async () => {
    await svc?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A browser signed in to the console as an admin (the simulator's pages need one). */
  const adminBrowser = async (): Promise<Browser> => {
    const b = new Browser(svc.baseUrl);
    const admin = await simulatorClient(svc);
    b.cookies.set('rb_session', /rb_session=([^;]*)/.exec(String(admin.defaults.headers.cookie))![1]);
    return b;
  };

  /** start → the simulator's authorize page → confirm as `userid` → the callback's answer. */
  const signIn = async (b: Browser, userid: string, next: string, kind: 'start' | 'qr' = 'start') => {
    const start = await b.get(`/auth/wecom/${kind}?next=${encodeURIComponent(next)}`);
    expect(start.status).toBe(302);
    const authorize = String(start.headers.location);
    const page = await b.get(authorize.replace(/#.*$/, ''));
    expect(page.status).toBe(200);
    const form = hidden(page.data);
    const confirm = await b.postForm('/simulator/connect/oauth2/authorize', { ...form, userid });
    expect(confirm.status).toBe(302);
    const callback = String(confirm.headers.location);
    return { start, authorize, page, callback, answer: await b.get(callback) };
  };

  it('a review link signs a 主管单位 supervisor in and lands on the order, with the scope chat gives it', async () => {
    const b = await adminBrowser();
    const { start, authorize, page, callback, answer } = await signIn(b, 'dingsup', `/work-orders/${orders.ding}`);
    const url = new URL(authorize);
    expect(url.pathname).toBe('/simulator/connect/oauth2/authorize');
    expect(url.searchParams.get('appid')).toBe(svc.wecom.credentials.corpId);
    expect(url.searchParams.get('redirect_uri')).toBe(`${svc.baseUrl}/auth/wecom/callback`);
    expect(url.searchParams.get('scope')).toBe('snsapi_base');
    expect(url.searchParams.get('agentid')).toBe(String(svc.wecom.credentials.agentId));
    expect(url.hash).toBe('#wechat_redirect');
    expect(String(start.headers['set-cookie'])).toMatch(/rb_wecom_signin=.*HttpOnly.*SameSite=Lax/i);
    expect(page.data).toContain('dingsup');
    expect(new URL(callback).searchParams.get('state')).toBe(url.searchParams.get('state'));

    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe(`/admin/#/work-orders/${orders.ding}`);
    const me = JSON.parse((await b.get('/api/auth/me')).data);
    expect(me.user).toMatchObject({ role: 'supervisor', signed_in_via: 'wecom', unit_name: '丁县文化广电局', display_name: '吴督办' });
    expect(me.user.contact_id).toEqual(expect.any(Number));
    // The same units as in chat: the supervisor reviews its 主管单位's units there.
    const contacts = await svc.ctx.chat.contacts.byUserid('dingsup');
    const dingUnit = (await svc.ctx.workOrders.get(orders.ding))!.unitId;
    expect(await svc.ctx.chat.contacts.canReview(contacts, dingUnit)).toBe(true);
    expect(me.scope).toEqual({ all: false, unitIds: [dingUnit] });
    expect((await b.api('GET', `/work-orders/${orders.ding}`)).status).toBe(200);
    expect((await b.api('GET', `/work-orders/${orders.jia}`)).status).toBe(404);
    const list = (await b.api('GET', '/work-orders')).data;
    expect(list.items.map((o: any) => o.id)).toEqual([orders.ding]);
    // The state cookie is used once.
    expect(b.cookies.has('rb_wecom_signin')).toBe(false);
  });

  it('the desktop QR sign-in goes the same way', async () => {
    const b = await adminBrowser();
    const { authorize, answer } = await signIn(b, 'jia01', '/my', 'qr');
    const url = new URL(authorize);
    expect(url.pathname).toBe('/simulator/wwlogin/sso/login');
    expect(url.searchParams.get('login_type')).toBe('CorpApp');
    expect(answer.headers.location).toBe('/admin/#/my');
    expect(JSON.parse((await b.get('/api/auth/me')).data).user.role).toBe('contact');
  });

  it('refuses a callback whose state is not the one this browser started with', async () => {
    const b = await adminBrowser();
    const before = b.cookies.get('rb_session');
    await b.get(`/auth/wecom/start?next=%2Fmy`);
    const code = svc.wecom.fake!.issueOauthCode('dingsup');
    const res = await b.get(`/auth/wecom/callback?code=${code}&state=${'0'.repeat(32)}`);
    expect(res.status).toBe(400);
    expect(res.data).toContain('登录未完成');
    expect(b.cookies.get('rb_session')).toBe(before);
    // Without any state cookie at all (a link forged elsewhere): refused too.
    const other = new Browser(svc.baseUrl);
    const forged = await other.get(`/auth/wecom/callback?code=${svc.wecom.fake!.issueOauthCode('dingsup')}&state=abc`);
    expect(forged.status).toBe(400);
    expect(other.cookies.has('rb_session')).toBe(false);
  });

  it('refuses a code used twice, and an expired one', async () => {
    const b = await adminBrowser();
    const first = await signIn(b, 'jia01', '/my');
    expect(first.answer.status).toBe(302);
    const code = new URL(first.callback).searchParams.get('code')!;
    const session = b.cookies.get('rb_session');

    const again = new Browser(svc.baseUrl);
    const start = await again.get('/auth/wecom/start?next=%2Fmy');
    const state = new URL(String(start.headers.location)).searchParams.get('state')!;
    const reused = await again.get(`/auth/wecom/callback?code=${code}&state=${state}`);
    expect(reused.status).toBe(400);
    expect(reused.data).toContain('登录凭证无效或已过期');
    expect(again.cookies.has('rb_session')).toBe(false);

    const late = new Browser(svc.baseUrl);
    const s2 = new URL(String((await late.get('/auth/wecom/start?next=%2Fmy')).headers.location)).searchParams.get('state')!;
    const old = svc.wecom.fake!.issueOauthCode('jia01');
    clock.advance(OAUTH_CODE_TTL_MS + 1000);
    const expired = await late.get(`/auth/wecom/callback?code=${old}&state=${s2}`);
    expect(expired.status).toBe(400);
    expect(expired.data).toContain('登录凭证无效或已过期');
    expect(late.cookies.has('rb_session')).toBe(false);
    // The first sign-in still stands.
    expect(b.cookies.get('rb_session')).toBe(session);
    expect((await b.get('/api/auth/me')).status).toBe(200);
  });

  it('a WeCom user without a contact record gets a Chinese page and no session', async () => {
    const b = await adminBrowser();
    const adminSession = b.cookies.get('rb_session');
    const start = await b.get('/auth/wecom/start?next=%2Fmy');
    const page = await b.get(String(start.headers.location).replace(/#.*$/, ''));
    const confirm = await b.postForm('/simulator/connect/oauth2/authorize', { ...hidden(page.data), userid: 'jia01', other: 'stranger9' });
    const res = await b.get(String(confirm.headers.location));
    expect(res.status).toBe(403);
    expect(res.data).toContain('stranger9 不在本系统的联系人名单中');
    expect(b.cookies.get('rb_session')).toBe(adminSession);
    const refused = await svc.ctx.db('events').where({ type: 'user.login_refused' }).first();
    expect(JSON.parse(refused.data)).toMatchObject({ reason: 'no_contact', userid: 'stranger9' });
  });

  it('refuses a next that leaves the console', async () => {
    const b = new Browser(svc.baseUrl);
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/\r\nSet-Cookie:x', ' /my']) {
      const res = await b.get(`/auth/wecom/start?next=${encodeURIComponent(next)}`);
      expect([next, res.status]).toEqual([next, 400]);
      expect(res.headers.location).toBeUndefined();
    }
    expect(b.cookies.has('rb_wecom_signin')).toBe(false);
    const ok = await b.get(`/auth/wecom/start?next=${encodeURIComponent('/work-orders?view=overdue&page=2')}`);
    expect(ok.status).toBe(302);
  });

  it('the simulator sign-in page is an admin page, and sends codes only to this service', async () => {
    const anon = new Browser(svc.baseUrl);
    const start = await anon.get('/auth/wecom/start?next=%2Fmy');
    const page = await anon.get(String(start.headers.location).replace(/#.*$/, ''));
    expect(page.status).toBe(302);
    expect(String(page.headers.location)).toMatch(/^\/admin\/\?next=/);
    const forged = await anon.postForm('/simulator/connect/oauth2/authorize', {
      appid: svc.wecom.credentials.corpId,
      redirect_uri: `${svc.baseUrl}/auth/wecom/callback`,
      state: 'x',
      userid: 'dingsup',
    });
    expect(forged.status).toBe(403);
    const b = await adminBrowser();
    const url = new URL(String((await b.get('/auth/wecom/start?next=%2Fmy')).headers.location).replace(/#.*$/, ''));
    url.searchParams.set('redirect_uri', 'https://evil.example/auth/wecom/callback');
    const elsewhere = await b.get(url.toString());
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.data).toContain('redirect_uri 不在可信域名内');
  });

  it('a unit contact sees only its own unit, and replies with a photo as in chat', async () => {
    const b = await adminBrowser();
    await signIn(b, 'jia01', `/work-orders/${orders.jia}`);
    const me = JSON.parse((await b.get('/api/auth/me')).data);
    expect(me.user).toMatchObject({ role: 'contact', role_label: '单位联系人', unit_name: '甲县教育局', signed_in_via: 'wecom' });
    expect((await b.api('GET', '/work-orders')).data.items.map((o: any) => o.id)).toEqual([orders.jia]);
    expect((await b.api('GET', `/work-orders/${orders.yi}`)).status).toBe(404);
    expect((await b.api('GET', `/work-orders/${orders.jia}`)).status).toBe(200);
    // Nothing else: no notices, no users, no replies to another unit's order.
    expect((await b.api('GET', '/notices')).status).toBe(403);
    const other = new FormData();
    other.append('text', '已整改');
    expect((await b.api('POST', `/work-orders/${orders.yi}/replies`, other)).status).toBe(404);

    // A file that is not an image is refused, and nothing is stored.
    const bad = new FormData();
    bad.append('text', '已整改，见截图');
    bad.append('photos', new Blob([Buffer.from('单位,名称\n甲,乙\n')], { type: 'image/png' }), 'shot.png');
    const refused = await b.api('POST', `/work-orders/${orders.jia}/replies`, bad);
    expect(refused.status).toBe(400);
    expect(refused.data.message).toContain('不是图片');
    expect((await svc.ctx.workOrders.get(orders.jia))!.state).toBe('notified');

    const form = new FormData();
    form.append('text', '已删除空白栏目并更新内容');
    form.append('photos', new Blob([PNG], { type: 'image/png' }), '整改后.png');
    const res = await b.api('POST', `/work-orders/${orders.jia}/replies`, form);
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ ok: true, reply_id: expect.any(Number), work_order: { id: orders.jia, state: 'replied' } });
    const ev = await svc.ctx.db('evidence').where({ work_order_id: orders.jia });
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ reply_id: res.data.reply_id, mime: 'image/png' });
    expect(fs.readFileSync(path.join(dir, ev[0].storage_path)).equals(PNG)).toBe(true);
    // The order's timeline has the reply, by the contact, as chat records it.
    const events = await svc.ctx.db('events').where({ work_order_id: orders.jia }).orderBy('id');
    expect(events.map((e: any) => [e.type, e.actor])).toEqual(expect.arrayContaining([['work_order.reply', 'wecom:jia01']]));
    // The reviewer (no supervisor for 甲县: the admin) gets the review card, linked to the order.
    const card = await waitFor('the review card', async () =>
      svc.wecom.fake!.messagesFor('admin1').find((m) => m.msgtype === 'template_card' && String((m.body as any).main_title.title).includes('整改')),
    );
    expect((card.body as any).card_action.url).toBe(`${svc.baseUrl}/auth/wecom/start?next=${encodeURIComponent(`/work-orders/${orders.jia}`)}`);
    expect((card.body as any).sub_title_text).toContain('已删除空白栏目并更新内容');
    // And the contact its confirmation in WeCom, as after a reply in chat.
    await waitFor('the confirmation', async () => svc.wecom.fake!.messagesFor('jia01').find((m) => m.msgtype === 'text' && String((m.body as any).content).includes('已收到')));
    // Twice is refused: the order waits for review now.
    const twice = new FormData();
    twice.append('text', '再次提交');
    expect((await b.api('POST', `/work-orders/${orders.jia}/replies`, twice)).status).toBe(409);

    // In chat, 我的工单 links to the same page (#/my) through sign-in from WeCom.
    const sim = await simulatorClient(svc);
    expect((await sim.post(`${svc.baseUrl}/simulator/page/text`, { userid: 'jia01', content: '我的工单' })).status).toBe(200);
    const list = await waitFor('the 我的工单 answer', async () =>
      svc.wecom.fake!.messagesFor('jia01').find((m) => m.msgtype === 'text' && String((m.body as any).content).startsWith('本单位工单')),
    );
    expect(String((list.body as any).content)).toContain(`${svc.baseUrl}/auth/wecom/start?next=%2Fmy`);
  });
}));
