/**
 * 新建工单 in a real browser (Debian's chromium through playwright-core): paste two platform
 * messages, fill the form from the second, see the deadline before saving, save, and find the
 * order; the statistics page shows it. Screenshots are kept in test-artifacts/monitoring/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ManualClock } from '../../src/clock';
import { startService, type RunningService } from '../../src/service';
import { UserStore } from '../../src/http/auth/users';
import { testConfig } from '../support/config';
import { waitFor } from '../support/wait';
import { ARTIFACTS, describeBrowser, launchChromium } from '../support/browser';

const SHOTS = path.join(ARTIFACTS, 'monitoring');
const PASTE = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'monitoring', 'pasted-table.txt'), 'utf8');

describeBrowser('新建工单 in chromium', () => {
  let svc: RunningService;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  const clock = new ManualClock('2026-12-01T02:00:00Z');

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    svc = await startService(testConfig({ PORT: '0', HOST: '127.0.0.1', JOBS_ENABLED: 'false' }), { clock });
    await new UserStore(svc.ctx.db, svc.ctx.events).create({ username: 'boss', role: 'admin', password: 'correct-horse-1' }, 'test', clock.now());
    chrome = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await chrome?.close();
    await svc?.stop();
  });

  it('fills the form from pasted text, previews the deadline and saves the order', async () => {
    const context = await chrome.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
    const page: Page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${svc.baseUrl}/admin/`);
      await page.getByLabel('用户名', { exact: true }).fill('boss');
      await page.getByLabel('密码', { exact: true }).fill('correct-horse-1');
      await page.getByRole('button', { name: '登录' }).click();
      await page.getByRole('link', { name: '新建工单' }).click();
      await page.getByRole('heading', { name: '新建监测工单' }).waitFor();

      await page.getByLabel('平台消息', { exact: true }).fill(PASTE);
      await page.getByRole('button', { name: '识别' }).click();
      await page.getByText('识别出 2 条工单：').waitFor();
      await page.getByRole('button', { name: '填入第 2 条' }).click();
      // The form takes the draft on its next render: wait for it, then read every field.
      await waitFor('the second draft in the form', async () => (await page.getByLabel('平台工单编号').inputValue()) === 'WX-7782');
      expect(await page.getByLabel('对象（账号或网站）').inputValue()).toBe('丙镇发布');
      expect(await page.getByLabel('主办单位（已登记对象可不填）').inputValue()).toBe('丙镇人民政府');
      expect(await page.getByLabel('接收时间').inputValue()).toBe('2026-11-23T10:02');
      await page.getByLabel('来源').selectOption('市级监测');
      await page.getByText(/办理时限：2026\/11\/25 18:00（平台注明）/).waitFor();
      await page.getByText(/问题分类：空白栏目/).waitFor();
      await page.screenshot({ path: path.join(SHOTS, '01-new-order.png'), fullPage: true });

      await page.getByRole('button', { name: '保存工单' }).click();
      await page.getByText(/^已新建工单 2026-0001（丙镇人民政府 · 丙镇发布）/).waitFor();
      await page.getByRole('heading', { name: '工单 2026-0001：丙镇发布' }).waitFor();
      await page.getByText(/市级监测 · 接收于 2026\/11\/23 10:02/).waitFor();
      const wo = await svc.ctx.db('work_orders').where({ code: '2026-0001' }).first();
      expect(wo).toMatchObject({ source: '市级监测', external_no: 'WX-7782' });
      expect(Number(wo.received_at)).toBe(Date.parse('2026-11-23T02:02:00Z'));

      await page.getByRole('link', { name: '监测工单统计' }).click();
      await page.getByRole('heading', { name: '监测工单统计' }).waitFor();
      await page.getByText('全部：1 张').waitFor();
      await page.screenshot({ path: path.join(SHOTS, '02-stats.png'), fullPage: true });
    } catch (e) {
      await page.screenshot({ path: path.join(SHOTS, 'failure.png'), fullPage: true });
      throw e;
    }
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
