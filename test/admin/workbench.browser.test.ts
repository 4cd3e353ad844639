/**
 * The console as a workbench, in chromium (Debian's, through playwright-core), as its users meet
 * it: a supervisor opens the review link of a card in the simulated WeCom chat, lands signed in
 * on that order and approves it; an admin 催办s three overdue orders at once and the units get the
 * reminders; an admin changes a deadline and the unit is told; a unit contact opens 我的工单 at
 * phone width (390 px) and sends a reply with a photo. Screenshots go to test-artifacts/workbench/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AxiosInstance } from 'axios';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ManualClock } from '../../src/clock';
import { startService, type RunningService } from '../../src/service';
import { UserStore } from '../../src/http/auth/users';
import { testConfig } from '../support/config';
import { ARTIFACTS, describeBrowser, launchChromium } from '../support/browser';
import { simulatorClient } from '../support/sim-session';
import { waitFor } from '../support/wait';

const SHOTS = path.join(ARTIFACTS, 'workbench');
const FIX = path.join(__dirname, '..', 'fixtures', 'conversation');
// A 1×1 PNG, as a phone's photo would be uploaded.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082',
  'hex',
);

describeBrowser('the console as a workbench, in chromium', () => {
  let svc: RunningService;
  let dir: string;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let sim: AxiosInstance;
  const clock = new ManualClock('2026-11-23T02:00:00Z'); // Monday 10:00 in Shanghai
  const codes: string[] = [];
  const ids: Record<string, number> = {};

  const order = async (code: string) => svc.ctx.db('work_orders').where({ code }).first();
  /** What the simulated WeCom delivered to `userid` (cards and texts), as text to search. */
  const received = async (userid: string): Promise<string[]> =>
    ((await sim.get(`${svc.baseUrl}/simulator/page/messages`, { params: { userid } })).data.items as any[]).filter((m) => m.dir === 'in').map((m) => JSON.stringify(m.body));
  const idle = () =>
    waitFor('the outbox to drain', async () => Number((await svc.ctx.db('outbox').whereIn('state', ['pending', 'sending']).count({ n: '*' }))[0].n) === 0);

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-workbench-'));
    svc = await startService(testConfig({ PORT: '0', HOST: '127.0.0.1', JOBS_ENABLED: 'false', MEDIA_DIR: dir }), { clock, pollIntervalMs: 30 });
    await new UserStore(svc.ctx.db, svc.ctx.events).create({ username: 'boss', displayName: '王主任', role: 'admin', password: 'correct-horse-1' }, 'test', clock.now());
    sim = await simulatorClient(svc);
    await svc.ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    await svc.ctx.imports.importFile(path.join(FIX, 'notice.csv'), { docNo: '乙政办字〔2026〕7号', title: '关于2026年三季度政务新媒体检查情况的通报' });
    for (const w of await svc.ctx.db('work_orders').orderBy('id')) {
      codes.push(w.code);
      ids[w.code] = Number(w.id);
    }
    // The three orders of units with a contact are notified (the fourth unit has none).
    await waitFor('three orders notified', async () => Number((await svc.ctx.db('work_orders').where({ state: 'notified' }).count({ n: '*' }))[0].n) === 3);
    await idle();
    chrome = await launchChromium();
    browser = chrome.browser;
  }, 90_000);

  afterAll(async () => {
    await chrome?.close();
    await svc?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function newContext(phone = false): Promise<BrowserContext> {
    return browser.newContext(
      phone
        ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' }
        : { viewport: { width: 1280, height: 800 }, locale: 'zh-CN', acceptDownloads: true },
    );
  }

  async function signInAdmin(page: Page, hash = ''): Promise<void> {
    await page.goto(`${svc.baseUrl}/admin/${hash}`);
    await page.getByLabel('用户名', { exact: true }).fill('boss');
    await page.getByLabel('密码', { exact: true }).fill('correct-horse-1');
    await page.getByRole('button', { name: '登录' }).click();
  }

  /** Through the simulator's WeCom authorize page, as `userid` (it needs a console admin there). */
  async function authorizeAs(page: Page, userid: string): Promise<void> {
    await page.getByRole('heading', { name: /企业微信.*登录/ }).waitFor();
    await page.getByRole('combobox', { name: /^成员/ }).selectOption(userid);
    await page.getByRole('button', { name: '确认登录' }).click();
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  async function walk(name: string, phone: boolean, body: (page: Page) => Promise<void>): Promise<void> {
    const context = await newContext(phone);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await body(page);
      expect(errors).toEqual([]);
    } catch (e) {
      await shot(page, `failure-${name}`);
      throw e;
    } finally {
      await context.close();
    }
  }

  it('an admin 催办s three overdue orders at once, and each unit gets its reminder', async () => {
    // A month later all three are overdue (the overdue sweep, as the job would run it).
    clock.set(new Date('2026-12-23T02:00:00Z')); // Wednesday 10:00
    const open = codes.slice(0, 3);
    await svc.ctx.workOrders.markOverdueMany(open.map((c) => ids[c]), 'system', clock.now());
    sim = await simulatorClient(svc); // the earlier session has expired meanwhile
    const before = { jia01: (await received('jia01')).length, yi01: (await received('yi01')).length };

    await walk('bulk-remind', false, async (page) => {
      await signInAdmin(page, '#/work-orders?view=overdue');
      // Signing in returns to the list asked for, on the 已逾期 view.
      await page.getByRole('heading', { name: '工单' }).waitFor();
      await expect(page.getByRole('navigation', { name: '常用筛选' }).getByRole('link', { name: '已逾期' }).getAttribute('aria-current')).resolves.toBe('page');
      const rows = page.locator('table:has(caption:text("工单列表")) tbody tr');
      await rows.first().waitFor();
      expect(await rows.count()).toBe(3);
      // Working days overdue are shown (the column before the deadline).
      for (const c of open) expect(Number(await page.locator('tr', { hasText: c }).locator('td').nth(-2).textContent())).toBeGreaterThan(0);
      for (const c of open) await page.getByLabel(`选择 ${c}`, { exact: true }).check();
      await page.getByText('已选择 3 张').waitFor();
      await shot(page, '01-bulk-selected');
      await page.getByRole('button', { name: '批量催办' }).click();
      const dialog = page.getByRole('dialog', { name: /催办所选的 3 张工单/ });
      await dialog.getByLabel('催办附言（可不填）').fill('请于今日内完成整改并反馈。');
      await shot(page, '02-bulk-remind-dialog');
      await dialog.getByRole('button', { name: '发送催办' }).click();
      await page.getByText('批量催办：成功 3 张').waitFor();
      // The list is loaded again and the selection is gone.
      await page.getByText('已选择 3 张').waitFor({ state: 'detached' });
    });

    await idle();
    const jia = (await received('jia01')).slice(before.jia01);
    const yi = (await received('yi01')).slice(before.yi01);
    expect(jia.filter((m) => m.includes(open[0])).length).toBeGreaterThanOrEqual(1);
    expect(jia.filter((m) => m.includes(open[1])).length).toBeGreaterThanOrEqual(1);
    expect(yi.filter((m) => m.includes(open[2])).length).toBeGreaterThanOrEqual(1);
    // Each order has its 催办 on the timeline.
    for (const c of open) {
      const events = await svc.ctx.db('events').where({ work_order_id: ids[c] }).select('type');
      expect(events.map((e: any) => e.type).some((t: string) => /remind|nudge|催办/.test(t))).toBe(true);
    }
  }, 120_000);

  it('an admin changes a deadline on the order page, and the unit is told', async () => {
    const code = codes[2];
    const before = (await received('yi01')).length;
    await walk('change-due', false, async (page) => {
      await signInAdmin(page, `#/work-orders/${ids[code]}`);
      await page.getByRole('heading', { name: new RegExp(`工单 ${code}`) }).waitFor();
      await page.getByRole('group', { name: '工单操作' }).getByRole('button', { name: '修改期限' }).click();
      const dialog = page.getByRole('dialog', { name: `修改工单 ${code} 的期限` });
      await dialog.getByLabel('新的截止日期').fill('2027-01-08');
      await dialog.getByLabel('原因（将告知单位）').fill('涉及系统改版，经研究延期');
      await shot(page, '03-change-due-dialog');
      await dialog.getByRole('button', { name: '修改期限' }).click();
      await page.getByText(`已将工单 ${code} 的期限改为 2027-01-08`).waitFor();
      // The page shows the new deadline and the change on the timeline.
      await page.locator('dd', { hasText: '2027/01/08' }).waitFor();
      await page.locator('.timeline li', { hasText: '涉及系统改版，经研究延期' }).waitFor();
      await shot(page, '04-order-after-due-change');
    });
    const w = await order(code);
    expect(new Date(Number(w.due_at)).toISOString().slice(0, 10)).toBe('2027-01-08');
    await idle();
    const told = (await received('yi01')).slice(before);
    expect(told.some((m) => m.includes(code) && m.includes('涉及系统改版，经研究延期'))).toBe(true);
  }, 120_000);

  it('a supervisor opens the review link from the WeCom chat, lands on the order signed in, and approves', async () => {
    const code = codes[0];
    // The unit replies in chat; the supervisor of 甲县 gets the review card.
    await sim.post(`${svc.baseUrl}/simulator/page/text`, { userid: 'jia01', content: `已整改 ${code} 已更新全部栏目内容并完成自查` });
    await waitFor('the order to wait for review', async () => (await order(code)).state === 'replied');
    await waitFor('the review card', async () => (await received('dubanjia')).some((m) => m.includes(code) && m.includes('/auth/wecom/start')));

    await walk('supervisor-review', false, async (page) => {
      // The simulator is an admin's tool: sign in, then look at the chat as the supervisor.
      await signInAdmin(page);
      await page.getByRole('heading', { name: '统计概览' }).waitFor();
      await page.goto(`${svc.baseUrl}/simulator/?user=dubanjia`);
      const card = page.locator('.card', { hasText: code }).filter({ hasText: '待审核' }).last();
      const link = card.getByRole('link', { name: '打开详情' });
      const href = await link.getAttribute('href');
      expect(href).toContain(`/auth/wecom/start?next=${encodeURIComponent(`/work-orders/${ids[code]}`)}`);
      await shot(page, '05-review-card-in-chat');
      await page.goto(href!);
      await authorizeAs(page, 'dubanjia');
      // Signed in as the supervisor, on that order.
      await page.getByRole('heading', { name: new RegExp(`工单 ${code}`) }).waitFor();
      expect(new URL(page.url()).hash).toBe(`#/work-orders/${ids[code]}`);
      await page.locator('#who', { hasText: '刘督办' }).waitFor();
      await shot(page, '06-supervisor-on-order');
      await page.getByLabel('审核意见').fill('整改到位');
      await page.getByRole('button', { name: '通过', exact: true }).click();
      await page.getByText('已审核通过，工单办结。').waitFor();
      await page.locator('.pill.accepted').first().waitFor();
    });
    expect((await order(code)).state).toBe('accepted');
    const review = await svc.ctx.db('replies').where({ work_order_id: ids[code] }).orderBy('id', 'desc').first();
    expect(review.review_state).toBe('accepted');
  }, 120_000);

  it('a unit contact opens 我的工单 on a phone and sends a reply with a photo', async () => {
    const code = codes[1];
    const photo = path.join(dir, 'after.png');
    fs.writeFileSync(photo, PNG);
    await walk('contact-reply', true, async (page) => {
      await signInAdmin(page);
      await page.getByRole('heading', { name: '统计概览' }).waitFor();
      // The link the bot sends with 我的工单.
      await page.goto(`${svc.baseUrl}/auth/wecom/start?next=${encodeURIComponent('/my')}`);
      await authorizeAs(page, 'jia01');
      await page.getByRole('heading', { name: '我的工单' }).waitFor();
      // Nothing wider than the phone.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      const card = page.locator('article', { hasText: code });
      await card.getByText('存在问题').waitFor();
      await shot(page, '07-my-orders-phone');
      // The reply form folds under its order (open already when it is the only open order).
      const fold = card.locator('details.reply');
      if (!(await fold.evaluate((d) => (d as unknown as { open: boolean }).open))) await fold.locator('summary').click();
      await card.getByLabel('整改情况').fill('已回复全部有效留言，并建立每周巡查机制');
      await card.getByLabel(/整改后的截图/).setInputFiles(photo);
      await card.getByText('已选择 1 张图片').waitFor();
      await shot(page, '08-my-reply-phone');
      await card.getByRole('button', { name: '提交整改反馈' }).click();
      await page.getByText('已提交整改反馈，等待审核。').first().waitFor();
      // The order page at phone width.
      await page.goto(`${svc.baseUrl}/admin/#/work-orders/${ids[code]}`);
      await page.getByRole('heading', { name: new RegExp(`工单 ${code}`) }).waitFor();
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await shot(page, '09-order-phone');
    });
    expect((await order(code)).state).toBe('replied');
    const reply = await svc.ctx.db('replies').where({ work_order_id: ids[code] }).orderBy('id', 'desc').first();
    expect(reply.text).toContain('已回复全部有效留言');
    const evidence = await svc.ctx.db('evidence').where({ reply_id: reply.id });
    expect(evidence).toHaveLength(1);
  }, 120_000);
});
