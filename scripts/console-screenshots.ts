/**
 * Screenshots of every console page at desktop (1280 px) and phone (390 px) width, for
 * docs/console.md: `npx tsx scripts/console-screenshots.ts [OUT]` (default docs/console).
 *
 * It starts the service on a fresh in-memory database with the simulator, loads the example
 * contacts and new-media notice, lets the orders become overdue (a fixed clock, moved on), has one
 * unit reply in chat, and walks the pages as an admin, then 我的工单 as a unit contact (signed in
 * through the simulator's WeCom authorize page). Needs Debian's chromium (CHROMIUM_PATH to override).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ManualClock } from '../src/clock';
import { loadConfig } from '../src/config';
import { startService, type RunningService } from '../src/service';
import { UserStore } from '../src/http/auth/users';
import { table } from '../src/db/tables';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.resolve(ROOT, process.argv[2] || 'docs/console');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const WIDTHS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
const MAX_HEIGHT = 2400;
const ADMIN = { username: 'wangzr', password: 'screenshot-pass-1' };

async function until(what: string, probe: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An admin's API session (cookie + CSRF token), as the simulator page uses it. */
async function adminSession(base: string): Promise<(p: string, body: unknown) => Promise<Response>> {
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  const cookie = /rb_session=[^;]*/.exec(login.headers.get('set-cookie') ?? '')?.[0] ?? '';
  const { csrf_token: csrf } = (await login.json()) as { csrf_token: string };
  return (p, body) => fetch(`${base}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf }, body: JSON.stringify(body) });
}

async function seed(svc: RunningService, clock: ManualClock): Promise<{ orderId: number; contact: string | null }> {
  const db = svc.ctx.db;
  await new UserStore(db, svc.ctx.events).create({ username: ADMIN.username, displayName: '王主任', role: 'admin', password: ADMIN.password }, 'docs', clock.now());
  await svc.ctx.chat.contacts.importFile(path.join(ROOT, 'examples', 'contacts-demo.csv'));
  await svc.ctx.imports.importFile(path.join(ROOT, 'examples', 'notice-demo-newmedia.csv'), { docNo: '咸政网办〔2022〕5号', title: '关于2022年第四季度政务新媒体检查情况的通报' });
  const outboxIdle = async () => Number((await db('outbox').whereIn('state', ['pending', 'sending']).count({ n: '*' }))[0].n) === 0;
  const notified = async () => Number((await db('work_orders').where({ state: 'notified' }).count({ n: '*' }))[0].n);
  await until('the orders to be notified', async () => (await notified()) > 0 && (await outboxIdle()));
  await new Promise((r) => setTimeout(r, 500));
  await until('the notices to be sent', outboxIdle);
  // Two weeks later: the open orders are overdue (as the overdue job would flag them).
  clock.set(new Date(clock.now().getTime() + 14 * 86_400_000));
  const open = await table(db, 'work_orders').where({ state: 'notified' }).orderBy('id').select('id', 'unit_id', 'code');
  await svc.ctx.workOrders.markOverdueMany(open.map((o) => Number(o.id)), 'system', clock.now());
  // One unit answers in chat: its order waits for review.
  let contact: string | null = null;
  let orderId = Number(open[0]?.id ?? 1);
  for (const o of open) {
    const c = await table(db, 'contacts').where({ unit_id: o.unit_id, role: 'primary', active: true }).first();
    if (!c) continue;
    const post = await adminSession(svc.baseUrl);
    await post('/simulator/page/text', { userid: c.wecom_userid, content: `已整改 ${o.code} 已按通报要求完成整改并自查` });
    await until('the reply', async () => (await table(db, 'work_orders').where({ id: o.id }).first())?.state === 'replied');
    contact = c.wecom_userid;
    orderId = Number(o.id);
    break;
  }
  await until('the messages to be sent', outboxIdle);
  return { orderId, contact };
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-shots-'));
  const clock = new ManualClock('2026-11-23T02:00:00Z'); // a Monday, 10:00 in Shanghai
  const config = loadConfig({
    DATABASE_URL: 'sqlite::memory:',
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    JOBS_ENABLED: 'false',
    QUIET_HOURS: 'off',
    RECHECK_ENABLED: 'false',
    DATA_DIR: tmp,
    MEDIA_DIR: path.join(tmp, 'media'),
  });
  const svc = await startService(config, { clock, pollIntervalMs: 30 });
  let browser: Browser | null = null;
  try {
    const { orderId, contact } = await seed(svc, clock);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--lang=zh-CN'] });
    const written: string[] = [];
    for (const [kind, viewport] of Object.entries(WIDTHS)) {
      const phone = kind === 'phone';
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1, isMobile: phone, hasTouch: phone, locale: 'zh-CN' });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const shot = async (name: string) => {
        await page.waitForTimeout(150);
        // JPEG, and at most 2,400 px tall: the docs stay small.
        const file = path.join(OUT, `${name}-${kind}.jpg`);
        const height = Math.min(MAX_HEIGHT, await page.evaluate<number>('document.documentElement.scrollHeight'));
        await page.screenshot({ path: file, type: 'jpeg', quality: 70, fullPage: true, clip: { x: 0, y: 0, width: viewport.width, height } });
        written.push(path.relative(ROOT, file));
      };
      const visit = async (hash: string, heading: string | RegExp, name: string, then?: (p: Page) => Promise<void>) => {
        await page.goto(`${svc.baseUrl}/admin/#${hash}`);
        await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
        await page.locator('text=正在加载…').first().waitFor({ state: 'detached' }).catch(() => undefined);
        if (then) await then(page);
        await shot(name);
      };
      await page.goto(`${svc.baseUrl}/admin/`);
      await page.getByRole('heading', { name: '登录' }).waitFor();
      await shot('login');
      await page.getByLabel('用户名', { exact: true }).fill(ADMIN.username);
      await page.getByLabel('密码', { exact: true }).fill(ADMIN.password);
      await page.getByRole('button', { name: '登录' }).click();
      await page.getByRole('heading', { name: '统计概览' }).waitFor();
      await visit('/', '统计概览', 'dashboard');
      await visit('/notices', '通报', 'notices');
      await visit('/work-orders?view=overdue', '工单', 'work-orders', async (p) => {
        const boxes = p.locator('tbody input[type=checkbox]');
        for (let i = 0; i < Math.min(3, await boxes.count()); i++) await boxes.nth(i).check();
      });
      await visit(`/work-orders/${orderId}`, /^工单 /, 'work-order');
      const due = page.getByRole('group', { name: '工单操作' }).getByRole('button', { name: '修改期限' });
      if (await due.count()) {
        await due.click();
        await page.getByRole('dialog').waitFor();
        await shot('work-order-change-due');
        await page.keyboard.press('Escape');
      }
      await visit('/rules', '期限规则', 'rules');
      await visit('/calendar', '工作日日历', 'calendar');
      await visit('/contacts?tab=contacts', '单位与联系人', 'contacts');
      await visit('/templates', '消息模板', 'templates');
      await visit('/escalations', '升级处理', 'escalations', async (p) => {
        await p.locator('details.card > summary').first().click();
      });
      await visit('/monitoring', '监测工单统计', 'monitoring');
      await visit('/new-order', '新建监测工单', 'new-order');
      await visit('/users', '用户', 'users');
      await visit('/events', '事件日志', 'events');
      // 我的工单 as the unit contact who replied, signed in from WeCom (the simulator's authorize page).
      const start = await fetch(`${svc.baseUrl}/auth/wecom/start?next=%2Fmy`, { redirect: 'manual' });
      if (contact && start.status !== 404) {
        await page.goto(`${svc.baseUrl}/auth/wecom/start?next=${encodeURIComponent('/my')}`);
        await page.getByRole('combobox', { name: /^成员/ }).selectOption(contact);
        await page.getByRole('button', { name: '确认登录' }).click();
        await page.getByRole('heading', { name: '我的工单' }).waitFor();
        await shot('my');
        await visit(`/work-orders/${orderId}`, /^工单 /, 'my-order');
      } else {
        process.stdout.write(`我的工单: skipped (no unit replied, or no sign-in from WeCom in this build: /auth/wecom/start → ${start.status})\n`);
      }
      await context.close();
    }
    process.stdout.write(`${written.length} screenshots:\n${written.join('\n')}\n`);
  } finally {
    await browser?.close();
    await svc.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
