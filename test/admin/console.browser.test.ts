/**
 * The console in a real browser (Debian's chromium through playwright-core), as a new user
 * would try it: sign in, upload a notice and confirm after the preview, set a 2-working-day
 * rule and see new orders' due dates change, mark a make-up working day, load next year's
 * arrangement, view a work order, export the notice's status as XLSX and open it; a
 * supervisor sees only its units. Screenshots are kept in test-artifacts/console/.
 */
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { ManualClock } from '../../src/clock';
import { startService, type RunningService } from '../../src/service';
import { UserStore } from '../../src/http/auth/users';
import { testConfig } from '../support/config';
import { waitFor } from '../support/wait';
import { ARTIFACTS, describeBrowser, launchChromium } from '../support/browser';
import { ROOT } from '../support/spawn';

const SHOTS = path.join(ARTIFACTS, 'console');
const NOTICE = path.join(ROOT, 'test', 'fixtures', 'import', 'xianning-2022q4-newmedia.csv');
const ARRANGEMENT = path.join(ROOT, 'test', 'fixtures', 'calendar', 'arrangement-2027.json');

describeBrowser('admin console in chromium', () => {
  let svc: RunningService;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  const clock = new ManualClock('2026-11-23T02:00:00Z'); // Monday 10:00 in Shanghai

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    svc = await startService(testConfig({ PORT: '0', HOST: '127.0.0.1', JOBS_ENABLED: 'false' }), { clock });
    const users = new UserStore(svc.ctx.db, svc.ctx.events);
    await users.create({ username: 'boss', displayName: '王主任', role: 'admin', password: 'correct-horse-1' }, 'test', clock.now());
    chrome = await launchChromium();
    browser = chrome.browser;
  }, 60_000);

  afterAll(async () => {
    await chrome?.close();
    await svc?.stop();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return page;
  }

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${svc.baseUrl}/admin/`);
    await page.getByLabel('用户名', { exact: true }).fill(username);
    await page.getByLabel('密码', { exact: true }).fill(password);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('heading', { name: '统计概览' }).waitFor();
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  it('walks through the main flows as an admin', async () => {
    const page = await newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await adminFlow(page);
    } catch (e) {
      await shot(page, 'failure-admin');
      throw e;
    }
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);

  const errors: string[] = [];
  async function adminFlow(page: Page): Promise<void> {
    await page.goto(`${svc.baseUrl}/admin/`);
    await page.getByRole('heading', { name: '登录' }).waitFor();
    await shot(page, '01-login');

    // A wrong password is refused in Chinese.
    await page.getByLabel('用户名', { exact: true }).fill('boss');
    await page.getByLabel('密码', { exact: true }).fill('wrong-password');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByText('用户名或密码错误').waitFor();

    await signIn(page, 'boss', 'correct-horse-1');
    // Next year has no holiday data yet: the banner says so.
    await page.getByRole('alert').filter({ hasText: '2027年节假日安排尚未导入' }).waitFor();
    await shot(page, '02-dashboard-empty');

    // Upload the example notice, see the preview, confirm.
    await page.locator('#nav').getByRole('link', { name: '通报', exact: true }).click();
    await page.getByLabel('通报文件（PDF / Word / 网页 / 文本）或附件表（CSV / XLSX / JSON）', { exact: true }).setInputFiles(NOTICE);
    await page.getByLabel('文号', { exact: true }).fill('咸政网办〔2022〕5号');
    await page.getByLabel('印发日期', { exact: true }).fill('2026-11-20');
    await page.getByRole('button', { name: '上传并预览' }).click();
    await page.getByRole('heading', { name: /预览：xianning-2022q4-newmedia\.csv/ }).waitFor();
    const previewRows = page.locator('table:has(caption:text("将创建的工单")) tbody tr');
    expect(await previewRows.count()).toBe(10);
    await expect(page.locator('.stat:has-text("将创建工单") b').textContent()).resolves.toBe('10');
    expect(await svc.ctx.db('work_orders').count({ n: '*' }).first()).toEqual({ n: 0 });
    await shot(page, '03-notice-preview');
    await page.getByRole('button', { name: '确认导入' }).click();
    await page.getByText(/已导入通报 咸政网办〔2022〕5号：创建工单 10 张/).waitFor();
    await page.getByRole('heading', { name: '工单' }).waitFor();
    await page.locator('table:has(caption:text("工单列表")) tbody tr').first().waitFor();
    expect(await page.locator('table:has(caption:text("工单列表")) tbody tr').count()).toBe(10);
    // 咸宁交通 has only a 严重表述错误 problem; notified now it would be due on the next working day.
    const jiaotong = page.locator('tr', { hasText: '咸宁交通' });
    await expect(jiaotong.locator('td').last().textContent()).resolves.toContain('预计 2026/11/24 18:00');
    await shot(page, '04-work-orders');

    // A 2-working-day rule for 严重表述错误 (wording_error).
    await page.getByRole('link', { name: '期限规则' }).click();
    await page.getByLabel('问题类别', { exact: true }).selectOption('wording_error');
    await page.getByLabel('期限', { exact: true }).fill('2');
    await page.getByLabel('单位', { exact: true }).selectOption('working_days');
    await page.getByLabel('预览：通知时间', { exact: true }).fill('2026-11-27T16:00');
    await page.getByText('通知于 2026年11月27日（周五）16:00 → 截止于 2026年12月1日（周二）18:00').waitFor();
    await shot(page, '05-rule-preview');
    await page.getByRole('button', { name: '保存规则' }).click();
    await page.getByText(/已保存规则 #\d+/).waitFor();
    await page.locator('#effective tr[data-category="wording_error"]', { hasText: '2026年11月25日（周三）18:00' }).waitFor();
    await shot(page, '06-rules');
    await page.getByRole('link', { name: '工单', exact: true }).click();
    await expect(page.locator('tr', { hasText: '咸宁交通' }).locator('td').last().textContent()).resolves.toContain('预计 2026/11/25 18:00');

    // Mark Saturday 2026-11-28 as a make-up working day.
    await page.getByRole('link', { name: '工作日日历' }).click();
    const saturday = page.locator('button.day[data-date="2026-11-28"]');
    await expect(saturday.getAttribute('data-type')).resolves.toBe('weekend');
    await saturday.click();
    await waitFor('the clicked day in the form', async () => (await page.getByLabel('日期', { exact: true }).inputValue()) === '2026-11-28');
    await page.getByLabel('原因', { exact: true }).fill('调休上班（测试）');
    await page.getByRole('button', { name: '保存调整' }).click();
    await page.getByText('已将 2026-11-28 设为上班').waitFor();
    await page.locator('button.day.makeup.override[data-date="2026-11-28"]').waitFor();

    // Load next year's arrangement: the banner goes away.
    await page.getByLabel('节假日安排文件（JSON）', { exact: true }).setInputFiles(ARRANGEMENT);
    await page.getByRole('button', { name: '导入', exact: true }).click();
    await page.getByText('已导入 2027 年节假日安排：放假 10 天，调休上班 2 天。').waitFor();
    await page.locator('#banner').waitFor({ state: 'hidden' });
    await shot(page, '07-calendar');
    await page.getByLabel('年份', { exact: true }).selectOption('2027');
    await page.locator('button.day.makeup[data-date="2027-02-13"]').waitFor();

    // One work order's page with its timeline, in Chinese, with the messages sent about it (an
    // outbox row that was sent, and the sender's record of the delivery as this event).
    const order = await svc.ctx.db('work_orders').where({ code: '2026-0002' }).first();
    const t = clock.now().getTime();
    await svc.ctx.db('outbox').insert({
      idempotency_key: 'console-test:notice:2026-0002',
      touser: 'unit21',
      msgtype: 'template_card',
      payload: '{}',
      purpose: 'work_order_notice',
      state: 'sent',
      attempts: 1,
      next_attempt_at: t,
      work_order_id: order.id,
      msgid: 'm1',
      created_at: t,
      sent_at: t,
      updated_at: t,
    });
    await svc.ctx.events.append({
      type: 'message.out.sent',
      actor: 'system',
      at: clock.now(),
      workOrderId: order.id,
      data: { outboxId: 1, touser: 'unit21', msgtype: 'template_card', purpose: 'work_order_notice', msgid: 'm1', attempts: 1 },
    });
    await page.getByRole('link', { name: '工单', exact: true }).click();
    await page.getByRole('link', { name: '2026-0002' }).click();
    await page.getByRole('heading', { name: '工单 2026-0002：咸宁交通' }).waitFor();
    await page.locator('.timeline li', { hasText: '工单创建' }).waitFor();
    await page.locator('.timeline li', { hasText: '发给 unit21（整改通知）' }).first().waitFor();
    const labels = await page.locator('.timeline li b').allTextContents();
    expect(labels.filter((l) => /^[a-z_]+\.[a-z_.]+$/.test(l))).toEqual([]);
    await shot(page, '08-work-order');

    // Export the notice's status as XLSX and open it.
    await page.locator('#nav').getByRole('link', { name: '通报', exact: true }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /XLSX$/ }).first().click()]);
    const file = path.join(SHOTS, 'notice-status.xlsx');
    await download.saveAs(file);
    expect(download.suggestedFilename()).toBe('整改情况-咸政网办〔2022〕5号.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const ws = wb.worksheets[0];
    expect((ws.getRow(2).values as unknown[]).slice(1, 8)).toEqual(['序号', '辖区', '名称', '平台', '主办单位', '存在问题', '整改情况']);
    expect(ws.rowCount).toBe(12);
    expect(ws.getRow(4).getCell(3).value).toBe('咸宁交通');
    expect(ws.getRow(4).getCell(7).value).toBe('待通知');
    await shot(page, '09-notices');

    // Every change above is in the event log with who made it.
    const actors = await svc.ctx.db('events').whereIn('type', ['notice.imported', 'deadline_rule.created', 'calendar.override_set', 'calendar.arrangement_loaded']).select('type', 'actor');
    expect(actors.map((a: any) => a.actor)).toEqual(['admin:boss', 'admin:boss', 'admin:boss', 'admin:boss']);
  }

  it('shows a supervisor only the units it supervises', async () => {
    const db = svc.ctx.db;
    // Runs alone too: the notice is imported here when the first test has not done it.
    if (!(await db('units').where({ name: '咸宁市交通运输局' }).first())) {
      await svc.ctx.imports.importFile(NOTICE, { docNo: '咸政网办〔2022〕5号', issuedOn: '2026-11-20', actor: 'test' });
    }
    const unit = await db('units').where({ name: '咸宁市交通运输局' }).first();
    expect(unit).toBeDefined();
    const now = clock.now().getTime();
    const [c] = await db('contacts')
      .insert({ unit_id: null, wecom_userid: 'li.si', name: '李四', role: 'supervisor', reachable: true, active: true, created_at: now, updated_at: now })
      .returning('id');
    const contactId = Number(typeof c === 'object' ? c.id : c);
    await db('supervisions').insert({ contact_id: contactId, unit_id: unit.id, created_at: now });
    await new UserStore(db, svc.ctx.events).create({ username: 'lisi', role: 'supervisor', contactId, password: 'supervisor-pass' }, 'test', clock.now());

    const page = await newPage();
    // A page asked for before signing in is where the sign-in lands (not the dashboard); the
    // WeCom sign-in button keeps it too.
    await page.goto(`${svc.baseUrl}/admin/#/work-orders`);
    await page.getByRole('heading', { name: '登录' }).waitFor();
    await expect(page.getByRole('link', { name: '企业微信登录' }).getAttribute('href')).resolves.toBe('/auth/wecom/qr?next=%2Fwork-orders');
    await page.getByLabel('用户名', { exact: true }).fill('lisi');
    await page.getByLabel('密码', { exact: true }).fill('supervisor-pass');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('heading', { name: '工单', exact: true }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/work-orders');
    await expect(page.locator('#nav').getByRole('link', { name: '用户' }).isVisible()).resolves.toBe(false);
    const rows = page.locator('table:has(caption:text("工单列表")) tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    await expect(rows.first().textContent()).resolves.toContain('咸宁交通');
    await shot(page, '10-supervisor-work-orders');
    // Another unit's order is not reachable by its address either.
    const other = await db('work_orders').whereNot({ unit_id: unit.id }).first();
    const status = await page.evaluate(async (id) => (await fetch(`/api/work-orders/${id}`)).status, other.id);
    expect(status).toBe(404);
    // And the upload form is not there for a supervisor (the work-order list's 重复通报 view is a link too).
    await page.locator('#nav').getByRole('link', { name: '通报', exact: true }).click();
    await page.getByRole('heading', { name: '通报' }).waitFor();
    expect(await page.getByRole('button', { name: '上传并预览' }).count()).toBe(0);
    await page.context().close();
  }, 60_000);

  it('sends the simulator to the console sign-in and back, where an admin chats as a contact', async () => {
    const page = await newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${svc.baseUrl}/simulator/?user=unit20`);
      // Not signed in: the console's sign-in, remembering where to come back to.
      await page.getByRole('heading', { name: '登录' }).waitFor();
      expect(new URL(page.url()).searchParams.get('next')).toBe('/simulator/?user=unit20');
      await page.getByLabel('用户名', { exact: true }).fill('boss');
      await page.getByLabel('密码', { exact: true }).fill('correct-horse-1');
      await page.getByRole('button', { name: '登录' }).click();
      await page.getByRole('heading', { name: '企业微信模拟器' }).waitFor();
      expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/simulator/?user=unit20');
      await page.getByText('当前用户：unit20').waitFor();
      // Acting as the contact works with the session's CSRF token.
      await page.getByPlaceholder('输入消息，回车发送').fill('你好');
      await page.getByRole('button', { name: '发送', exact: true }).click();
      await page.locator('.msg.out', { hasText: '你好' }).waitFor();
      await shot(page, '20-simulator-signed-in');
      expect(await svc.ctx.db('inbound_messages').where({ from_userid: 'unit20' }).count({ n: '*' }).first()).toEqual({ n: 1 });
      expect(errors).toEqual([]);
    } catch (e) {
      await shot(page, 'failure-simulator');
      throw e;
    } finally {
      await page.context().close();
    }
  }, 60_000);
});
