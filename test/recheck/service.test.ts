/**
 * Re-checks in the running service, against the fake WeCom and fixture sites on 127.0.0.1:
 * the review card carries the result, a unit without an address is asked for one, 复查 and
 * 网址 in chat, a late result as its own message, the weekly check of accepted orders, the API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { startService, type RunningService } from '../../src/service';
import { simulatorClient } from '../support/sim-session';
import { waitFor as waitForEvery } from '../support/wait';
import { weeklyRecheckJob } from '../../src/jobs/recheck';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';
import { startSites, type FixtureServer } from './sites';

const CONTACTS = path.join(__dirname, '..', 'fixtures', 'conversation', 'contacts.csv');
const TOKEN = 'recheck-test-token-0123456789';
let http: AxiosInstance = axios.create({ validateStatus: () => true, proxy: false });

const waitFor = <T>(what: string, probe: () => Promise<T | null | undefined | false>) => waitForEvery(what, probe, 20_000, 50);

describeEachDb('re-checks in the service', (get) => describe('with the fake WeCom and fixture sites', () => {
  let svc: RunningService | null = null;
  let sites: FixtureServer;
  let dir: string;

  beforeAll(async () => {
    sites = await startSites();
  });
  afterAll(async () => {
    await sites.close();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-recheck-'));
  });
  afterEach(async () => {
    await svc?.stop();
    svc = null;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string> = {}) {
    svc = await startService(
      testConfig({
        PORT: '0',
        MEDIA_DIR: dir,
        JOBS_ENABLED: 'false',
        ADMIN_TOKEN: TOKEN,
        RECHECK_ENABLED: 'true',
        RECHECK_ALLOW_ADDRESSES: '127.0.0.1',
        RECHECK_BROWSER: 'off',
        RECHECK_TIMEOUT_MS: '10000',
        RECHECK_SLOW_MS: '10000',
        ...env,
      }),
      { db: get().db, migrate: false, pollIntervalMs: 30 },
    );
    const s = svc;
    http = await simulatorClient(s);
    await s.ctx.chat.contacts.importFile(CONTACTS);
    const notice = path.join(dir, 'notice.csv');
    fs.writeFileSync(
      notice,
      '辖区,网站名称,主办单位,首页地址,存在问题\n' +
        `甲县,甲县教育局网站,甲县教育局,${sites.base}/s/stale/,“通知公告”栏目更新不及时\n` +
        '乙市直,乙市交通运输局网站,乙市交通运输局,,严重表述错误(将“民族”写为“名族”)\n',
    );
    await s.ctx.imports.importFile(notice, { docNo: '乙政办字〔2026〕9号', title: '关于2026年三季度政府网站检查情况的通报' });
    const page = (p: string) => `${s.baseUrl}/simulator/page${p}`;
    const inbox = async (userid: string) => ((await http.get(page('/messages'), { params: { userid } })).data.items as any[]).filter((i) => i.dir === 'in');
    const api = (method: 'get' | 'post' | 'put', p: string, data?: unknown) =>
      http.request({ method, url: `${s.baseUrl}/api${p}`, data, headers: { authorization: `Bearer ${TOKEN}` } });
    return {
      s,
      inbox,
      texts: async (userid: string) => (await inbox(userid)).filter((m) => m.msgtype === 'text').map((m) => m.body.content as string),
      cards: async (userid: string) => (await inbox(userid)).filter((m) => m.msgtype === 'template_card'),
      say: async (userid: string, content: string) => expect((await http.post(page('/text'), { userid, content })).status).toBe(200),
      click: async (userid: string, msgid: string, key: string) => expect((await http.post(page('/click'), { userid, msgid, key })).status).toBe(200),
      order: async (code: string) => s.ctx.db('work_orders').where({ code }).first(),
      codes: async () => (await s.ctx.db('work_orders').orderBy('id')).map((w: any) => w.code as string),
      api,
    };
  }

  const field = (card: any, key: string) => (card.body.horizontal_content_list as any[]).find((f) => f.keyname === key)?.value;

  it('puts the result on the review card, asks for a missing address, and re-checks in chat', async () => {
    const t = await start();
    const [c1, c2] = await t.codes();

    // The stale site: the unit says it is fixed; the card tells the supervisor it is not.
    const [notice1] = await waitFor('the card for jia01', async () => ((await t.cards('jia01')).length ? t.cards('jia01') : null));
    const w1 = await waitFor('order notified', async () => ((await t.order(c1)).state === 'notified' ? t.order(c1) : null));
    await t.click('jia01', notice1.msgid, `wo:done:${w1.id}`);
    await t.say('jia01', '已更新通知公告栏目');
    const review1 = await waitFor('the review card', async () => (await t.cards('dubanjia')).find((c) => c.body.main_title.title.includes(c1)));
    expect(field(review1, '自动复查')).toBe('未通过：首页更新、栏目更新');
    const [run] = await t.s.ctx.db('recheck_runs').where({ work_order_id: w1.id });
    expect(run).toMatchObject({ reason: 'submit', state: 'done', verdict: 'failed', url: `${sites.base}/s/stale/` });
    const checks = await t.s.ctx.db('recheck_checks').where({ run_id: run.id }).orderBy('position');
    expect(checks.map((c: any) => [c.name, c.result])).toEqual([
      ['reachable', 'passed'],
      ['freshness_home', 'failed'],
      ['freshness_column', 'failed'],
    ]);
    expect(checks[2].detail).toContain('2025-03-02');
    expect(Number(checks[0].checked_at)).toBeGreaterThan(0);
    // The fetched page is kept as evidence.
    expect(fs.readFileSync(path.join(dir, run.html_path), 'utf8')).toContain('甲县召开常务会议');
    expect(run.screenshot_note).toContain('未截图');

    // The site without an address: the unit is asked for it, the card says so.
    const w2 = await waitFor('order 2 notified', async () => ((await t.order(c2)).state === 'notified' ? t.order(c2) : null));
    await t.say('yi01', `已整改 ${c2} 已改正错别字`);
    const review2 = await waitFor('the second review card', async () => (await t.cards('dubanyi')).find((c) => c.body.main_title.title.includes(c2)));
    expect(field(review2, '自动复查')).toBe('无网址，已请单位补充');
    expect(await waitFor('the question', async () => (await t.texts('yi01')).find((x) => x.includes('没有登记网址')))).toContain(`网址 ${c2}`);

    // The unit gives the address; the supervisor re-checks in chat.
    await t.say('yi01', `网址 ${c2} ${sites.base}/s/fixed/`);
    expect(await waitFor('saved', async () => (await t.texts('yi01')).find((x) => x.startsWith('已记下')))).toContain(`${sites.base}/s/fixed/`);
    await t.say('dubanyi', `复查 ${c2}`);
    const result = await waitFor('the result', async () => (await t.texts('dubanyi')).find((x) => x.startsWith('【自动复查】')));
    expect(result).toContain('结论：通过');
    expect(result).toContain('错误表述：通过');
    // Someone else's order is not theirs to re-check.
    await t.say('jia01', `复查 ${c2}`);
    expect(await waitFor('refusal', async () => (await t.texts('jia01')).find((x) => x.includes(`工单 ${c2} 不属于您负责的单位`)))).toBeTruthy();
    const runs2 = await t.s.ctx.db('recheck_runs').where({ work_order_id: w2.id });
    expect(runs2.map((r: any) => [r.reason, r.verdict])).toEqual([['manual', 'passed']]);
  });

  it('sends a late result as its own message', async () => {
    const t = await start({ RECHECK_REVIEW_WAIT_MS: '0' });
    const [c1] = await t.codes();
    const w1 = await waitFor('order notified', async () => ((await t.order(c1)).state === 'notified' ? t.order(c1) : null));
    await t.say('jia01', `已整改 ${c1} 已更新`);
    const review = await waitFor('the review card', async () => (await t.cards('dubanjia')).find((c) => c.body.main_title.title.includes(c1)));
    expect(field(review, '自动复查')).toBe('复查中，结果将另行发送');
    const late = await waitFor('the late result', async () => (await t.texts('dubanjia')).find((x) => x.startsWith('【自动复查】')));
    expect(late).toContain(`工单 ${c1}`);
    expect(late).toContain('结论：未通过');
    expect(late).toContain('首页更新：未通过');
    expect((await t.s.ctx.db('recheck_runs').where({ work_order_id: w1.id })).length).toBe(1);
  });

  it('re-checks accepted orders weekly and reports a site that fell back', async () => {
    const t = await start();
    const [c1] = await t.codes();
    const w1 = await waitFor('order notified', async () => ((await t.order(c1)).state === 'notified' ? t.order(c1) : null));
    // Through the API: the address points at a fresh site, the order is rechecked and accepted.
    const put = await t.api('put', `/work-orders/${w1.id}/address`, { url: `${sites.base}/s/fresh/` });
    expect(put.status).toBe(200);
    expect((await t.api('put', `/work-orders/${w1.id}/address`, { url: '不是网址' })).data.message).toContain('网址无效');
    const now = await t.api('post', `/work-orders/${w1.id}/recheck`);
    expect(now.status).toBe(200);
    expect(now.data).toMatchObject({ reason: 'manual', verdict: 'passed', url: `${sites.base}/s/fresh/` });
    await t.say('jia01', `已整改 ${c1} 已更新`);
    await waitFor('replied', async () => (await t.order(c1)).state === 'replied');
    await t.say('dubanjia', `通过 ${c1}`);
    await waitFor('accepted', async () => (await t.order(c1)).state === 'accepted');

    // A week later the site has gone stale again.
    await t.api('put', `/work-orders/${w1.id}/address`, { url: `${sites.base}/s/stale/` });
    const job = weeklyRecheckJob('0 3 * * 1');
    const at = new Date(Date.now() + 7 * 86_400_000);
    const report = await job.run({ at, slot: at, ctx: t.s.ctx, calendar: await t.s.ctx.calendar.get() });
    expect(report).toMatchObject({ checked: 1, relapsed: 1 });
    const relapse = await waitFor('the relapse report', async () => (await t.texts('dubanjia')).find((x) => x.startsWith('【整改反弹】')));
    expect(relapse).toContain(`工单 ${c1}`);
    expect(relapse).toContain('2026-09-01');
    // The same week again checks nothing twice.
    expect(await job.run({ at, slot: at, ctx: t.s.ctx, calendar: await t.s.ctx.calendar.get() })).toMatchObject({ checked: 0, skipped: 1 });

    const list = await t.api('get', `/work-orders/${w1.id}/rechecks`);
    expect(list.data.address).toBe(`${sites.base}/s/stale/`);
    expect(list.data.runs.map((r: any) => [r.reason, r.verdict])).toEqual([
      ['weekly', 'failed'],
      ['submit', 'passed'],
      ['manual', 'passed'],
    ]);
    const html = await t.api('get', list.data.runs[0].html.url.replace(/^\/api/, ''));
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toContain('text/plain');
    expect(String(html.data)).toContain('甲县召开常务会议');
  });
}));
