/**
 * The whole service in simulator mode: the page's actions become signed, encrypted callbacks,
 * a test handler replies through the outbox, the real client delivers to the embedded fake,
 * and the page's polling endpoint shows the result.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { match } from '../../src/chat/router';
import { startService, type RunningService } from '../../src/service';
import { testConfig } from '../support/config';
import { describeEachDb } from '../support/db';
import { waitFor } from '../support/wait';
import { createDb } from '../../src/db/knex';
import { simulatorClient } from '../support/sim-session';
import { actionXml, buildCallback } from '../../src/simulator/callback-client';

describe('service in simulator mode', () => {
  let svc: RunningService;
  let dir: string;
  /** Signed in as a console admin (the page and its API need that), with the CSRF token. */
  let http: AxiosInstance;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-svc-'));
    svc = await startService(testConfig({ PORT: '0', MEDIA_DIR: dir }), {
      pollIntervalMs: 50,
      registerHandlers: (chat) => {
        chat
          .on('card', match.command('卡片'), (m, ctx) =>
            ctx.reply({
              msgtype: 'template_card',
              template_card: {
                card_type: 'button_interaction',
                main_title: { title: '整改复核' },
                task_id: `task_${m.id}`,
                button_list: [
                  { text: '通过', style: 1, key: 'review:accept' },
                  { text: '退回', style: 2, key: 'review:reject' },
                ],
              },
            }),
          )
          .on('click', match.cardEvent('review:'), async (m, ctx) => {
            await ctx.updateCard(m.eventKey === 'review:accept' ? '已通过' : '已退回');
            await ctx.reply(`你点击了 ${m.eventKey}`);
          })
          .on('image', match.msgType('image'), (m, ctx) => ctx.reply(`截图已保存 ${m.media?.sha256 ?? '无'}`))
          .fallback((m, ctx) => ctx.reply(`收到：${m.content ?? m.msgType}`));
      },
    });
    http = await simulatorClient(svc);
  });

  afterAll(async () => {
    await svc?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const received = async (userid: string) => {
    const res = await http.get(`${svc.baseUrl}/simulator/page/messages`, { params: { userid } });
    return (res.data.items as any[]).filter((i) => i.dir === 'in');
  };

  it('serves the chat page', async () => {
    const page = await http.get(`${svc.baseUrl}/simulator/`, { responseType: 'text' });
    expect(page.status).toBe(200);
    expect(page.data).toContain('企业微信模拟器');
    const js = await http.get(`${svc.baseUrl}/simulator/app.js`, { responseType: 'text' });
    expect(js.status).toBe(200);
    expect(svc.wecom.simulated).toBe(true);
    expect(svc.wecom.client.baseUrl).toBe(`${svc.baseUrl}/simulator/api`);
  });

  it('round-trips text, a card click and a screenshot through the production path', async () => {
    expect((await http.post(`${svc.baseUrl}/simulator/page/text`, { userid: 'zhangsan', content: '你好' })).status).toBe(200);
    await waitFor('the reply', async () => (await received('zhangsan')).find((m) => m.body.content === '收到：你好'));

    expect((await http.post(`${svc.baseUrl}/simulator/page/text`, { userid: 'zhangsan', content: '卡片' })).status).toBe(200);
    const card = await waitFor('the card', async () => (await received('zhangsan')).find((m) => m.msgtype === 'template_card'));
    const click = await http.post(`${svc.baseUrl}/simulator/page/click`, { userid: 'zhangsan', msgid: card.msgid, key: 'review:accept' });
    expect(click.status).toBe(200);
    // The user's side of the chat shows the button as it was labelled, not its key.
    const button = card.body.button_list.find((b: { key: string }) => b.key === 'review:accept');
    const mine = (await http.get(`${svc.baseUrl}/simulator/page/messages`, { params: { userid: 'zhangsan' } })).data.items.filter((i: any) => i.dir === 'out');
    expect(mine.at(-1)).toMatchObject({ kind: 'card_click', text: button.text });
    await waitFor('the updated card', async () =>
      (await received('zhangsan')).find((m) => m.msgid === card.msgid && m.replacedName === '已通过'),
    );
    await waitFor('the click reply', async () => (await received('zhangsan')).find((m) => m.body.content === '你点击了 review:accept'));
    // The card is used up.
    expect((await http.post(`${svc.baseUrl}/simulator/page/click`, { userid: 'zhangsan', msgid: card.msgid, key: 'review:reject' })).status).toBe(409);

    const png = Buffer.from('89504e470d0a1a0a0000000d494844520000000100000001', 'hex');
    const img = await http.post(`${svc.baseUrl}/simulator/page/image`, { userid: 'zhangsan', name: 'a.png', mime: 'image/png', dataBase64: png.toString('base64') });
    expect(img.status).toBe(200);
    const sha = crypto.createHash('sha256').update(png).digest('hex');
    await waitFor('the screenshot reply', async () => (await received('zhangsan')).find((m) => m.body.content === `截图已保存 ${sha}`));

    // Everything went through the outbox and the event log (a row is recorded sent, and a message
    // done, just after WeCom has it: the fake may show it a moment before).
    const count = async (q: () => Promise<{ n: unknown }[]>) => Number((await q())[0].n);
    await waitFor('5 replies recorded sent and 4 messages done', async () =>
      (await count(() => svc.ctx.db('outbox').where({ state: 'sent', touser: 'zhangsan' }).count({ n: '*' }))) >= 5 &&
      (await count(() => svc.ctx.db('inbound_messages').where({ state: 'done' }).count({ n: '*' }))) >= 4,
    );
    expect(await count(() => svc.ctx.db('outbox').where({ state: 'sent', touser: 'zhangsan' }).count({ n: '*' }))).toBe(5);
    expect(await count(() => svc.ctx.db('inbound_messages').where({ state: 'done' }).count({ n: '*' }))).toBe(4);
    expect((await svc.ctx.events.list({ type: 'message.in.received' })).length).toBe(4);
  });

  it('lets only a signed-in console admin use the page and its API, with CSRF on changes', async () => {
    const anon = axios.create({ validateStatus: () => true, proxy: false, maxRedirects: 0 });
    const before = await svc.ctx.inbound.count();
    // No session: the API answers 401, the page sends the browser to sign in.
    const list = await anon.get(`${svc.baseUrl}/simulator/page/users`);
    expect(list.status).toBe(401);
    expect(list.data.message).toBe('请先登录控制台');
    expect((await anon.get(`${svc.baseUrl}/simulator/page/messages`, { params: { userid: 'zhangsan' } })).status).toBe(401);
    expect((await anon.post(`${svc.baseUrl}/simulator/page/text`, { userid: 'zhangsan', content: '通过' })).status).toBe(401);
    const page = await anon.get(`${svc.baseUrl}/simulator/`);
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe('/admin/?next=%2Fsimulator%2F');
    expect((await anon.get(`${svc.baseUrl}/simulator/app.js`)).status).toBe(302);

    // A session without the CSRF token cannot act; a supervisor or viewer cannot use it at all.
    const { csrf: _csrf, ...noCsrf } = { csrf: 1, ...(http.defaults.headers as any) };
    const cookieOnly = axios.create({ validateStatus: () => true, proxy: false, headers: { cookie: noCsrf.cookie } });
    const forged = await cookieOnly.post(`${svc.baseUrl}/simulator/page/text`, { userid: 'zhangsan', content: '通过' });
    expect(forged.status).toBe(403);
    expect(forged.data.error).toBe('csrf');
    const { UserStore } = await import('../../src/http/auth/users');
    await new UserStore(svc.ctx.db, svc.ctx.events).create({ username: 'sup-sim', role: 'supervisor', password: 'sup-sim-password' }, 'test', new Date());
    const supLogin = await anon.post(`${svc.baseUrl}/api/auth/login`, { username: 'sup-sim', password: 'sup-sim-password' });
    const sup = axios.create({ validateStatus: () => true, proxy: false, headers: { cookie: /rb_session=[^;]*/.exec(String(supLogin.headers['set-cookie']))![0], 'x-csrf-token': supLogin.data.csrf_token } });
    const supList = await sup.get(`${svc.baseUrl}/simulator/page/users`);
    expect(supList.status).toBe(403);
    expect(supList.data.message).toContain('仅限控制台管理员');
    expect((await sup.get(`${svc.baseUrl}/simulator/`, { maxRedirects: 0 })).status).toBe(403);
    expect(await svc.ctx.inbound.count()).toBe(before);

    // Signed in as an admin: the page and its API answer.
    expect((await http.get(`${svc.baseUrl}/simulator/page/users`)).status).toBe(200);
    const signedPage = await http.get(`${svc.baseUrl}/simulator/`, { responseType: 'text' });
    expect(signedPage.status).toBe(200);
    expect(signedPage.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(signedPage.headers['x-frame-options']).toBe('DENY');
  });

  it('serves no fault control, and refuses a Host name it does not go by (DNS rebinding)', async () => {
    for (const p of ['/_control/faults', '/_control/expire-tokens']) {
      const r = await http.post(`${svc.baseUrl}/simulator/api${p}`, [{ errcode: 60020, times: 100 }]);
      expect(r.status).not.toBe(200);
    }
    expect((await http.get(`${svc.baseUrl}/simulator/api/_control/messages`)).status).not.toBe(200);
    expect(svc.wecom.fake!.pendingFaults).toBe(0);
    const rebound = await http.get(`${svc.baseUrl}/simulator/page/users`, { headers: { host: `attacker.example:${svc.port}` } });
    expect(rebound.status).toBe(403);
    expect(rebound.data.error).toBe('host_not_allowed');
    expect((await http.get(`${svc.baseUrl}/simulator/page/users`, { headers: { host: `localhost:${svc.port}` } })).status).toBe(200);
  });

  it('keeps at most the allowed number of screenshots, and refuses one too large', async () => {
    const { MAX_IMAGE_BYTES, MAX_STORED_IMAGES } = await import('../../src/simulator/page');
    const big = Buffer.alloc(MAX_IMAGE_BYTES + 1, 1);
    const tooBig = await http.post(`${svc.baseUrl}/simulator/page/image`, { userid: 'lisi', name: 'big.png', mime: 'image/png', dataBase64: big.toString('base64') });
    expect(tooBig.status).toBe(413);
    expect(tooBig.data.message).toContain('图片过大');
    const fake = svc.wecom.fake!;
    // Fill the store to its bound directly, then one more through the page: the oldest goes.
    for (let i = fake.media.size; i < MAX_STORED_IMAGES; i++) fake.putMedia(Buffer.from(`img${i}`), 'image/png', `${i}.png`);
    expect(fake.media.size).toBe(MAX_STORED_IMAGES);
    const first = [...fake.media.keys()][0];
    const png = Buffer.from('89504e470d0a1a0a0000000d494844520000000100000001', 'hex');
    const r = await http.post(`${svc.baseUrl}/simulator/page/image`, { userid: 'lisi', name: 'a.png', mime: 'image/png', dataBase64: png.toString('base64') });
    expect(r.status).toBe(200);
    expect(fake.media.size).toBe(MAX_STORED_IMAGES);
    expect(fake.media.has(first)).toBe(false);
    expect(fake.media.has(r.data.mediaId)).toBe(true);
  });

  it('refuses a forged callback and page input it cannot use', async () => {
    const before = await svc.ctx.inbound.count();
    const forged = await http.post(`${svc.baseUrl}/wecom/callback`, '<xml><Encrypt>abc</Encrypt></xml>', {
      params: { msg_signature: 'a'.repeat(40), timestamp: String(Math.floor(Date.now() / 1000)), nonce: '1' },
      headers: { 'Content-Type': 'text/xml' },
    });
    expect(forged.status).toBe(401);
    // The callback route is mounted ahead of the common middleware and still sends the security headers.
    expect(forged.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(forged.headers['x-content-type-options']).toBe('nosniff');
    expect(forged.headers['x-frame-options']).toBe('DENY');
    expect((await http.post(`${svc.baseUrl}/simulator/page/text`, { userid: 'bad id!', content: 'x' })).status).toBe(400);
    expect((await http.post(`${svc.baseUrl}/simulator/page/image`, { userid: 'u1', mime: 'text/html', dataBase64: 'PGI+' })).status).toBe(400);
    expect(await svc.ctx.inbound.count()).toBe(before);
  });
});

describe('callbacks on an SQLite file', () => {
  it('are stored and answered while the shared connection is held by other work', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-cbconn-'));
    const svc = await startService(testConfig({ PORT: '0', MEDIA_DIR: path.join(dir, 'media'), DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}` }), {
      pollIntervalMs: 50,
    });
    const client = svc.ctx.db.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
    let held: unknown = null;
    try {
      // The service's one shared SQLite connection, taken as a long query of the processor would.
      held = await client.acquireConnection();
      const nowS = Math.floor(Date.now() / 1000);
      const cb = buildCallback(svc.wecom.credentials, actionXml(svc.wecom.credentials, { fromUserid: 'zhangsan', kind: 'text', content: '已整改', msgId: '7001', createTimeS: nowS }), nowS);
      const r = await axios.post(`${svc.baseUrl}/wecom/callback`, cb.body, {
        params: cb.query,
        headers: { 'Content-Type': 'text/xml' },
        validateStatus: () => true,
        proxy: false,
        timeout: 10_000,
      });
      expect(r.status).toBe(200);
      await client.releaseConnection(held);
      held = null;
      const rows = await svc.ctx.db('inbound_messages').where({ msg_id: '7001' }).select('from_userid');
      expect(rows).toEqual([{ from_userid: 'zhangsan' }]);
    } finally {
      if (held) await client.releaseConnection(held);
      await svc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeEachDb('the simulator after a restart', (get) => {
  it('shows the chat history and its cards still work, as a WeCom client would', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-restart-'));
    // The same database for both runs (SQLite: a file, as `npm start` uses; PostgreSQL: a schema).
    const db = get().kind === 'sqlite' ? createDb(`sqlite:${path.join(dir, 'db.sqlite')}`) : get().db;
    const config = testConfig({ PORT: '0', MEDIA_DIR: path.join(dir, 'media') });
    const start = () => startService(config, { db, pollIntervalMs: 50, registerHandlers: handlers });
    const handlers = (chat: import('../../src/chat/router').ChatRouter) =>
      chat
        .on('card', match.command('卡片'), (m, ctx) =>
          ctx.reply({
            msgtype: 'template_card',
            template_card: {
              card_type: 'button_interaction',
              main_title: { title: '整改复核' },
              task_id: `task_${m.id}`,
              button_list: [{ text: '通过', style: 1, key: 'review:accept' }],
            },
          }),
        )
        .on('click', match.cardEvent('review:'), async (m, ctx) => {
          await ctx.updateCard('已通过');
          await ctx.reply(`你点击了 ${m.eventKey}`);
        })
        .fallback((m, ctx) => ctx.reply(`收到：${m.content ?? m.msgType}`));
    const items = async (svc: RunningService) => (await http.get(`${svc.baseUrl}/simulator/page/messages`, { params: { userid: 'wangwu' } })).data.items as any[];
    let svc = await start();
    // The session lives in the database: it still holds after the restart.
    const http: AxiosInstance = await simulatorClient(svc);
    let msgid: string;
    let mediaId: string;
    try {
      expect((await http.post(`${svc.baseUrl}/simulator/page/text`, { userid: 'wangwu', content: '卡片' })).status).toBe(200);
      const s = svc;
      msgid = (await waitFor('the card', async () => (await items(s)).find((m) => m.msgtype === 'template_card'))).msgid;
      const png = Buffer.from('89504e470d0a1a0a0000000d494844520000000100000001', 'hex');
      const img = await http.post(`${svc.baseUrl}/simulator/page/image`, { userid: 'wangwu', name: 'a.png', mime: 'image/png', dataBase64: png.toString('base64') });
      mediaId = img.data.mediaId;
      await waitFor('the image reply', async () => (await items(s)).find((m) => m.dir === 'in' && m.body?.content === '收到：image'));
    } finally {
      await svc.stop();
    }

    svc = await start();
    try {
      const before = await items(svc);
      expect(before.map((m) => (m.dir === 'out' ? `我:${m.kind}:${m.text ?? ''}` : `机器人:${m.msgtype}`))).toEqual([
        '我:text:卡片',
        '机器人:template_card',
        '我:image:',
        '机器人:text',
      ]);
      expect((await http.get(`${svc.baseUrl}/simulator/page/media/${mediaId}`)).status).toBe(200);
      // The card sent before the restart can still be clicked, and is updated.
      expect((await http.post(`${svc.baseUrl}/simulator/page/click`, { userid: 'wangwu', msgid, key: 'review:accept' })).status).toBe(200);
      const s = svc;
      await waitFor('the updated card', async () => (await items(s)).find((m) => m.msgid === msgid && m.replacedName === '已通过'));
      await waitFor('the click reply', async () => (await items(s)).find((m) => m.body?.content === '你点击了 review:accept'));
    } finally {
      await svc.stop();
      if (db !== get().db) await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe('npm start without credentials', () => {
  it('on loopback: shows the admin password on the terminal only, sends the simulator to sign-in and back, stops on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-start-'));
    const root = path.resolve(__dirname, '..', '..');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
      MEDIA_DIR: path.join(dir, 'media'),
      DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'info',
    };
    // As `npm start` is run by someone trying the product: no NODE_ENV, no WeCom credentials.
    delete env.NODE_ENV;
    for (const k of Object.keys(env)) if (k.startsWith('WECOM_')) delete env[k];
    const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => (log += d.toString()));
    child.stdout.on('data', (d) => (log += d.toString()));
    try {
      const url = await waitFor(
        'the simulator URL in the log',
        async () => /请在浏览器打开 (http:\/\/127\.0\.0\.1:\d+\/simulator)/.exec(log)?.[1],
        25_000,
      );
      const password = /控制台管理员账号：admin\s+密码：(\S+)/.exec(log)?.[1];
      expect(password).toMatch(/^\S{16}$/);
      // The password is on a plain line for the terminal, in no JSON log line.
      const jsonLines = log.split('\n').filter((l) => l.startsWith('{'));
      expect(jsonLines.length).toBeGreaterThan(2);
      expect(jsonLines.filter((l) => l.includes(password!))).toEqual([]);
      expect(jsonLines.some((l) => l.includes('已创建管理员 admin'))).toBe(true);

      // Not signed in: the page sends the browser to the console's sign-in, which comes back.
      const anon = await axios.get(url + '/?user=unit20', { maxRedirects: 0, validateStatus: () => true, proxy: false });
      expect(anon.status).toBe(302);
      expect(anon.headers.location).toBe('/admin/?next=' + encodeURIComponent('/simulator/?user=unit20'));
      const base = url.replace(/\/simulator$/, '');
      const login = await axios.post(`${base}/api/auth/login`, { username: 'admin', password }, { proxy: false });
      const cookie = /rb_session=[^;]*/.exec(String(login.headers['set-cookie']))![0];
      const page = await axios.get(url + '/', { responseType: 'text', proxy: false, headers: { cookie } });
      expect(page.status).toBe(200);
      expect(page.data).toContain('企业微信模拟器');

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(log).toContain('服务已停止');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);

  it.each([
    ['NODE_ENV=production', { NODE_ENV: 'production', HOST: '127.0.0.1' }, /生产环境/],
    ['NODE_ENV=production with WECOM_SIMULATOR=true', { NODE_ENV: 'production', HOST: '127.0.0.1', WECOM_SIMULATOR: 'true' }, /WECOM_SIMULATOR: 生产环境/],
    ['no NODE_ENV on a non-loopback HOST', { HOST: '0.0.0.0' }, /生产环境/],
  ])('is refused with %s, before listening', async (_name, vars, message) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-prod-'));
    const root = path.resolve(__dirname, '..', '..');
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`, DATA_DIR: dir, LOG_LEVEL: 'info', ...vars };
    if (!('NODE_ENV' in vars)) delete env.NODE_ENV;
    for (const k of Object.keys(env)) if (k.startsWith('WECOM_') && !(k in vars)) delete env[k];
    const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => (log += d.toString()));
    child.stdout.on('data', (d) => (log += d.toString()));
    try {
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code).toBe(1);
      expect(log).toMatch(message);
      expect(log).toContain('服务未启动');
      expect(log).not.toContain('rectify-bot 已启动');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
