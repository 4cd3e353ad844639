/** The admin API through HTTP, on SQLite and (with TEST_DATABASE_URL) PostgreSQL. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describeEachDb } from '../support/db';
import { ROOT } from '../support/spawn';
import { UploadRegistry } from '../../src/http/api/notices';
import { ManualClock } from '../../src/clock';
import { Client, fileForm, signedIn, startAdminServer, TOKEN, type AdminServer } from './support';

const FIX = path.join(ROOT, 'test', 'fixtures');
const NOTICE = path.join(FIX, 'import', 'xianning-2022q4-newmedia.csv');
const MALFORMED = path.join(FIX, 'import', 'malformed.csv');
const ARRANGEMENT = path.join(FIX, 'calendar', 'arrangement-2027.json');

async function importNotice(admin: Client, fields: Record<string, string> = { doc_no: '咸政网办〔2022〕5号', issued_on: '2026-11-20' }) {
  const p = await admin.post('/notices/uploads', fileForm(NOTICE, fields));
  expect(p.status).toBe(200);
  const c = await admin.post(`/notices/uploads/${p.body.upload_id}/confirm`, fields);
  expect(c.status).toBe(200);
  return c.body;
}

describeEachDb('admin API: authentication and CSRF', (get) => {
  let s: AdminServer;
  beforeEach(async () => {
    s = await startAdminServer(get());
  });
  afterEach(() => s.close());

  it('refuses anonymous calls, wrong passwords and wrong tokens in Chinese', async () => {
    const anon = new Client(s.base);
    const r = await anon.get('/work-orders');
    expect(r.status).toBe(401);
    expect(r.body.message).toBe('请先登录');
    await s.users.create({ username: 'amy', role: 'admin', password: 'right-password' }, 'test', s.clock.now());
    const bad = await anon.login('amy', 'wrong-password');
    expect(bad.status).toBe(401);
    expect(bad.body.message).toContain('用户名或密码错误');
    const nobody = await anon.login('nobody', 'whatever-pw');
    expect(nobody.status).toBe(401);
    const badToken = await new Client(s.base, 'not-the-token-at-all').get('/work-orders');
    expect(badToken.status).toBe(401);
    expect(badToken.body.message).toBe('令牌无效');
    const failed = await s.ctx.db('events').where({ type: 'user.login_failed' }).count({ n: '*' }).first();
    expect(Number(failed!.n)).toBe(2);
  });

  it('sets an HttpOnly SameSite=Strict session cookie and wants the CSRF header on changes', async () => {
    await s.users.create({ username: 'amy', role: 'admin', password: 'right-password' }, 'test', s.clock.now());
    const c = new Client(s.base);
    const login = await c.login('amy', 'right-password');
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toMatch(/Secure/i); // plain HTTP in development
    expect((await c.get('/auth/me')).body).toMatchObject({ user: { username: 'amy', role: 'admin' }, csrf_token: login.body.csrf_token });

    const rule = { category: 'wording_error', amount: 2, unit: 'working_days' };
    const noCsrf = await c.req('POST', '/deadline-rules', rule, { 'x-csrf-token': '' });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.message).toContain('CSRF');
    expect(await s.ctx.deadlineRules.list()).toEqual([]);
    const ok = await c.post('/deadline-rules', rule);
    expect(ok.status).toBe(200);
    const ev = await s.ctx.db('events').where({ type: 'deadline_rule.created' }).first();
    expect(ev.actor).toBe('admin:amy');

    expect((await c.post('/auth/logout')).status).toBe(200);
    expect((await c.get('/auth/me')).status).toBe(401);
  });

  it('uses secure cookies in production', async () => {
    await s.close();
    s = await startAdminServer(get(), {}, { NODE_ENV: 'production' });
    await s.users.create({ username: 'amy', role: 'admin', password: 'right-password' }, 'test', s.clock.now());
    const login = await new Client(s.base).login('amy', 'right-password');
    expect(login.headers.get('set-cookie')).toMatch(/Secure/);
  });

  it('lets ADMIN_TOKEN act as admin without CSRF, logged as "token"', async () => {
    const t = new Client(s.base, TOKEN);
    const r = await t.put('/calendar/overrides/2026-11-28', { workday: true, reason: '调休上班' });
    expect(r.status).toBe(200);
    expect(r.body.day).toMatchObject({ date: '2026-11-28', workday: true, type: 'makeup', source: 'override' });
    const ev = await s.ctx.db('events').where({ type: 'calendar.override_set' }).first();
    expect(ev.actor).toBe('token');
  });

  it('ends sessions when an account is disabled or its password reset', async () => {
    const admin = await signedIn(s, 'amy', 'admin');
    const viewer = await signedIn(s, 'vic', 'viewer');
    expect((await viewer.get('/work-orders')).status).toBe(200);
    const vic = await s.users.getByUsername('vic');
    expect((await admin.patch(`/users/${vic!.id}`, { active: false })).status).toBe(200);
    expect((await viewer.get('/work-orders')).status).toBe(401);
    expect((await viewer.login('vic', 'vic-password')).status).toBe(401);
    expect((await admin.patch(`/users/${vic!.id}`, { active: true, password: 'a-new-password' })).status).toBe(200);
    expect((await viewer.login('vic', 'a-new-password')).status).toBe(200);
  });

  it('expires sessions after 12 hours without use', async () => {
    const admin = await signedIn(s, 'amy', 'admin');
    s.clock.advance(11 * 3600_000);
    expect((await admin.get('/auth/me')).status).toBe(200); // used: pushed forward
    s.clock.advance(11 * 3600_000);
    expect((await admin.get('/auth/me')).status).toBe(200);
    s.clock.advance(13 * 3600_000);
    expect((await admin.get('/auth/me')).status).toBe(401);
  });
});

describeEachDb('admin API: roles and supervisor scope', (get) => {
  let s: AdminServer;
  beforeEach(async () => {
    s = await startAdminServer(get());
  });
  afterEach(() => s.close());

  it('keeps viewers and supervisors out of admin changes', async () => {
    const viewer = await signedIn(s, 'vic', 'viewer');
    const r = await viewer.post('/deadline-rules', { amount: 2, unit: 'working_days' });
    expect(r.status).toBe(403);
    expect(r.body.message).toBe('没有权限执行此操作');
    expect((await viewer.get('/users')).status).toBe(403);
    expect((await viewer.get('/deadline-rules')).status).toBe(200);
    const sup = await signedIn(s, 'sue', 'supervisor');
    expect((await sup.post('/notices/uploads', fileForm(NOTICE))).status).toBe(403);
  });

  it('shows a supervisor only the units its contact supervises, by unit or by jurisdiction', async () => {
    const admin = new Client(s.base, TOKEN);
    await importNotice(admin);
    const units = (await admin.get('/units?page_size=100')).body.items as { id: number; name: string; jurisdiction: string }[];
    const jiaotong = units.find((u) => u.name === '咸宁市交通运输局')!;
    const contact = (await admin.post('/contacts', { wecom_userid: 'sue', name: '苏', role: 'supervisor' })).body;
    expect((await admin.post('/supervisions', { contact_id: contact.id, unit_id: jiaotong.id })).status).toBe(200);
    const sup = await signedIn(s, 'sue', 'supervisor', { contactId: contact.id });

    const list = (await sup.get('/work-orders')).body;
    expect(list.total).toBe(1);
    expect(list.items[0].target.name).toBe('咸宁交通');
    const others = await s.ctx.db('work_orders').whereNot({ unit_id: jiaotong.id }).select('id');
    expect((await sup.get(`/work-orders/${others[0].id}`)).status).toBe(404);
    expect((await sup.get('/dashboard')).body.totals.total).toBe(1);
    expect((await sup.get('/units')).body.items.map((u: any) => u.name)).toEqual(['咸宁市交通运输局']);
    const csv = await sup.get(`/notices/${list.items[0].notice.id}/export?format=csv`);
    expect(csv.body.trim().split('\r\n')).toHaveLength(2);

    // By jurisdiction: every unit of 通城县.
    expect((await admin.post('/supervisions', { contact_id: contact.id, jurisdiction: '通城县' })).status).toBe(200);
    const wider = (await sup.get('/work-orders')).body;
    expect(wider.total).toBe(4);
    expect(new Set(wider.items.map((o: any) => o.unit.jurisdiction))).toEqual(new Set(['市直', '通城县']));

    // A supervisor user without a contact sees nothing at all.
    const lost = await signedIn(s, 'lost', 'supervisor');
    expect((await lost.get('/work-orders')).body.total).toBe(0);
    expect((await lost.get('/notices')).body.total).toBe(0);
  });

  it('scopes a supervisor who works in the units\' 主管单位 as chat and digests do', async () => {
    const admin = new Client(s.base, TOKEN);
    await importNotice(admin);
    const table = ['单位,企业微信账号,姓名,角色,主管单位', '咸宁市交通运输局,jt01,甲,主联系人,咸宁市人民政府', '咸宁市人民政府,gov01,乙,督办人,'].join('\n');
    expect((await admin.post('/contacts/import', fileForm({ name: 'c.csv', content: table }))).status).toBe(200);
    const [contact] = await s.ctx.chat.contacts.byUserid('gov01');
    const chatUnits = await s.ctx.chat.contacts.supervisedUnitIds([contact]);
    const jiaotong = await s.ctx.db('units').where({ name: '咸宁市交通运输局' }).first();
    expect(chatUnits).toEqual([Number(jiaotong.id)]);
    const sup = await signedIn(s, 'gov', 'supervisor', { contactId: contact.id });
    expect((await sup.get('/units')).body.items.map((u: any) => u.id)).toEqual(chatUnits);
    const list = (await sup.get('/work-orders')).body;
    expect(list.total).toBe(1);
    expect(list.items[0].unit.name).toBe('咸宁市交通运输局');
  });
});

describeEachDb('admin API: notices upload, preview, confirm, export', (get) => {
  let s: AdminServer;
  let admin: Client;
  beforeEach(async () => {
    s = await startAdminServer(get());
    admin = await signedIn(s, 'amy', 'admin');
  });
  afterEach(() => s.close());

  it('a published notice (PDF): the preview shows the facts and each table with its source; a corrected fact and a column mapping are used on confirm', async () => {
    const pdf = path.join(FIX, 'import', 'notices', 'xianning-2022q4.lo.pdf');
    const p = await admin.post('/notices/uploads', fileForm(pdf));
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({
      can_confirm: true,
      items_total: 13,
      found: { docNo: null, issuedOn: '2022-11-21', reportDueOn: '2022-11-25', issuer: '咸宁市政务公开领导小组办公室' },
      notice: { title: '2022年第四季度政府网站及政务新媒体抽查情况的通报', issued_on: '2022-11-21' },
    });
    const [a1] = p.body.notice.attachments;
    expect(a1.tables[0]).toMatchObject({ kind: 'summary', skipped: expect.stringContaining('汇总表') });
    expect(a1.tables[0].source[1]).toMatch(/^市直 \| 34/);
    expect(p.body.source_text.map((t: { text: string }) => t.text).join('').replace(/\s+/g, '')).toContain('于11月25日前报市政务服务和大数据管理局');

    // The admin corrects the 文号 and maps 单位名称 to the name column; the preview follows.
    const fixed = { doc_no: '咸政公开办〔2022〕9号', map: ['单位名称=name'] };
    const again = await admin.post(`/notices/uploads/${p.body.upload_id}/preview`, fixed);
    expect(again.status).toBe(200);
    expect(again.body.notice.doc_no).toBe('咸政公开办〔2022〕9号');
    expect(again.body.items.find((i: { name: string }) => i.name === '市林业局')).toMatchObject({ unit: '市林业局' });
    const c = await admin.post(`/notices/uploads/${p.body.upload_id}/confirm`, fixed);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ doc_no: '咸政公开办〔2022〕9号', work_orders: 13 });
    expect(await s.ctx.db('notices').first()).toMatchObject({ doc_no: '咸政公开办〔2022〕9号', issued_on: '2022-11-21', report_due_on: '2022-11-25', issuer: '咸宁市政务公开领导小组办公室' });
  });

  it('previews without writing, then imports the same upload on confirm', async () => {
    const p = await admin.post('/notices/uploads', fileForm(NOTICE, { doc_no: 'X〔2026〕1号', issued_on: '2026-11-20' }));
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ can_confirm: true, rejected: [], items_total: 10, result: { dry_run: true, work_orders: 10, problems: 11 } });
    expect(p.body.items[0]).toMatchObject({ line: 2, name: '咸宁指尖上的城管', unit: '咸宁市城市管理执法委员会', jurisdiction: '市直' });
    expect(Number((await s.ctx.db('work_orders').count({ n: '*' }).first())!.n)).toBe(0);

    const c = await admin.post(`/notices/uploads/${p.body.upload_id}/confirm`, { doc_no: 'X〔2026〕1号', issued_on: '2026-11-20' });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ dry_run: false, work_orders: 10, doc_no: 'X〔2026〕1号' });
    const notice = await s.ctx.db('notices').first();
    expect(notice.file_name).toBe('xianning-2022q4-newmedia.csv');
    const ev = await s.ctx.db('events').where({ type: 'notice.imported' }).first();
    expect(ev.actor).toBe('admin:amy');
    // The upload is gone once imported.
    expect((await admin.post(`/notices/uploads/${p.body.upload_id}/confirm`, {})).status).toBe(404);

    // The same document number again: the preview says so; confirm is refused unless replacing.
    const again = await admin.post('/notices/uploads', fileForm(NOTICE, { doc_no: 'X〔2026〕1号', issued_on: '2026-11-20' }));
    expect(again.body.can_confirm).toBe(false);
    expect(again.body.duplicate.message).toContain('已导入');
    const dup = await admin.post(`/notices/uploads/${again.body.upload_id}/confirm`, { doc_no: 'X〔2026〕1号', issued_on: '2026-11-20' });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toContain('替换已导入的同文号通报');
    const replaced = await admin.post(`/notices/uploads/${again.body.upload_id}/confirm`, { doc_no: 'X〔2026〕1号', issued_on: '2026-11-20', replace: true });
    expect(replaced.status).toBe(200);
    expect(replaced.body.replaced_notice_id).toBe(notice.id);
  });

  it('keeps no file from refused or abandoned uploads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-up-'));
    try {
      await s.close();
      s = await startAdminServer(get(), { uploads: new UploadRegistry(dir, new ManualClock('2026-11-23T02:00:00Z')) });
      admin = await signedIn(s, 'ann', 'admin');
      const files = () => fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, String(f))).isFile());
      expect((await new Client(s.base).post('/notices/uploads', fileForm(NOTICE))).status).toBe(401);
      const viewer = await signedIn(s, 'vic', 'viewer');
      expect((await viewer.post('/notices/uploads', fileForm(NOTICE))).status).toBe(403);
      expect(files()).toEqual([]);
      const p = await admin.post('/notices/uploads', fileForm(NOTICE));
      expect(files()).toHaveLength(1);
      expect((await admin.del(`/notices/uploads/${p.body.upload_id}`)).status).toBe(200);
      expect(files()).toEqual([]);
      expect((await admin.post(`/notices/uploads/${p.body.upload_id}/confirm`, {})).status).toBe(404);
      const tooMany = new FormData();
      tooMany.append('file', new Blob(['a']), 'a.csv');
      tooMany.append('file', new Blob(['b']), 'b.csv');
      expect((await admin.post('/notices/uploads', tooMany)).body.message).toBe('一次只能上传一个文件');
      expect(files()).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists every rejected row with its line and imports nothing', async () => {
    const p = await admin.post('/notices/uploads', fileForm(MALFORMED, { issued_on: '2026-11-20' }));
    expect(p.status).toBe(200);
    expect(p.body.can_confirm).toBe(false);
    expect(p.body.rejected.length).toBeGreaterThanOrEqual(3);
    expect(p.body.rejected.map((r: any) => r.line)).toEqual(expect.arrayContaining([3, 4, 5]));
    for (const r of p.body.rejected) expect(r.reason).toMatch(/[\u4e00-\u9fa5]/);
    const c = await admin.post(`/notices/uploads/${p.body.upload_id}/confirm`, { issued_on: '2026-11-20' });
    expect(c.status).toBe(422);
    expect(Number((await s.ctx.db('notices').count({ n: '*' }).first())!.n)).toBe(0);
  });

  it('refuses a missing file, an empty file and a bad option in Chinese', async () => {
    const none = new FormData();
    none.append('doc_no', 'x');
    expect((await admin.post('/notices/uploads', none)).body.message).toContain('请选择要上传的文件');
    expect((await admin.post('/notices/uploads', fileForm({ name: 'a.csv', content: '' }))).body.message).toBe('文件为空');
    const bad = await admin.post('/notices/uploads', fileForm(NOTICE, { issued_on: '2026/11/20' }));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('issued_on：须为 YYYY-MM-DD 格式的日期');
  });

  it('exports a notice status as CSV (with BOM) and XLSX in the attachment layout', async () => {
    const r = await importNotice(admin);
    const order = await s.ctx.db('work_orders').where({ code: '2026-0002' }).first();
    const at = s.clock.now();
    await s.ctx.workOrders.transition(order.id, 'notify', { actor: 'test', at, dueAt: new Date(at.getTime() + 86_400_000) });
    await s.ctx.workOrders.transition(order.id, 'reply', { actor: 'test', at });
    await s.ctx.db('replies').insert({ work_order_id: order.id, kind: 'rectified', text: '已删除错误表述', created_at: at.getTime() });
    await s.ctx.workOrders.transition(order.id, 'accept', { actor: 'test', at });

    const csv = await admin.get(`/notices/${r.notice_id}/export?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.raw.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = csv.raw.toString('utf8').slice(1).split('\r\n');
    expect(lines[0]).toBe('序号,辖区,名称,平台,主办单位,存在问题,整改情况,工单编号,截止时间,来源,平台工单编号,接收时间,反馈时间,办结时间');
    expect(lines[2]).toContain('2,市直,咸宁交通,微信订阅号,咸宁市交通运输局,严重表述错误,已整改（2026-11-23 审核通过）：已删除错误表述,2026-0002');
    expect(decodeURIComponent(csv.headers.get('content-disposition')!.split("UTF-8''")[1])).toBe('整改情况-咸政网办〔2022〕5号.csv');

    const xlsx = await admin.get(`/notices/${r.notice_id}/export?format=xlsx`);
    expect(xlsx.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.raw as any);
    const ws = wb.worksheets[0];
    expect(ws.getRow(1).getCell(1).value).toContain('整改情况');
    expect((ws.getRow(2).values as unknown[]).slice(1, 8)).toEqual(['序号', '辖区', '名称', '平台', '主办单位', '存在问题', '整改情况']);
    expect(ws.getRow(4).getCell(7).value).toBe('已整改（2026-11-23 审核通过）：已删除错误表述');
    expect(ws.getRow(3).getCell(6).value).toBe('1. 备案类型错误：应为服务号\n2. 严重表述错误');
    expect(ws.rowCount).toBe(12);

    const filtered = await admin.get('/work-orders/export?format=csv&state=accepted');
    expect(filtered.raw.toString('utf8').trim().split('\r\n')).toHaveLength(2);
    expect(await s.ctx.db('events').where({ type: 'export.notice_status', actor: 'admin:amy' }).count({ n: '*' }).first()).toEqual({ n: 2 });
  });
});

describeEachDb('admin API: work orders, rules, calendar', (get) => {
  let s: AdminServer;
  let admin: Client;
  let mediaDir: string;
  beforeEach(async () => {
    mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rectify-media-'));
    s = await startAdminServer(get(), {}, { MEDIA_DIR: mediaDir });
    admin = await signedIn(s, 'amy', 'admin');
  });
  afterEach(async () => {
    await s.close();
    fs.rmSync(mediaDir, { recursive: true, force: true });
  });

  it('filters work orders and validates filters in Chinese', async () => {
    await importNotice(admin);
    expect((await admin.get('/work-orders?category=filing')).body.total).toBe(3);
    expect((await admin.get('/work-orders?jurisdiction=通城县')).body.total).toBe(3);
    expect((await admin.get('/work-orders?q=咸宁交通')).body.items.map((o: any) => o.code)).toEqual(['2026-0002']);
    expect((await admin.get('/work-orders?overdue=true')).body.total).toBe(0);
    const page = await admin.get('/work-orders?page=2&page_size=4');
    expect(page.body).toMatchObject({ total: 10, page: 2, page_size: 4 });
    expect(page.body.items.map((o: any) => o.code)).toEqual(['2026-0005', '2026-0006', '2026-0007', '2026-0008']);
    const bad = await admin.get('/work-orders?state=open&kind=tv&page_size=0');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('state：状态须为');
    expect(bad.body.message).toContain('kind：对象类型须为 website、column 或 newmedia');
    expect(bad.body.message).toContain('page_size');
  });

  it('serves evidence images in scope only, and nothing outside MEDIA_DIR', async () => {
    await importNotice(admin);
    const order = await s.ctx.db('work_orders').where({ code: '2026-0002' }).first();
    const media = s.ctx.config.mediaDir;
    fs.mkdirSync(path.join(media, 'ab'), { recursive: true });
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    fs.writeFileSync(path.join(media, 'ab', 'shot.png'), png);
    fs.writeFileSync(path.join(media, 'ab', 'page.html'), '<script>alert(1)</script>');
    const row = (p: string, mime: string) => ({ work_order_id: order.id, kind: 'image', storage_path: p, mime, created_at: 1 });
    const ids: number[] = [];
    for (const r of [row('ab/shot.png', 'image/png'), row('ab/page.html', 'text/html'), row('../../etc/passwd', 'image/png')]) {
      const [x] = await s.ctx.db('evidence').insert(r).returning('id');
      ids.push(Number(typeof x === 'object' ? x.id : x));
    }
    const img = await admin.get(`/evidence/${ids[0]}/file`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(img.raw).toEqual(png);
    const html = await admin.get(`/evidence/${ids[1]}/file`);
    expect(html.headers.get('content-type')).toBe('application/octet-stream');
    expect(html.headers.get('content-disposition')).toMatch(/^attachment/);
    expect((await admin.get(`/evidence/${ids[2]}/file`)).status).toBe(404);
    const d = (await admin.get(`/work-orders/${order.id}`)).body;
    expect(d.evidence.map((e: any) => e.url)).toEqual(ids.map((id) => `/api/evidence/${id}/file`));

    const contact = (await admin.post('/contacts', { wecom_userid: 'sue', role: 'supervisor' })).body;
    await admin.post('/supervisions', { contact_id: contact.id, jurisdiction: '通城县' });
    const sup = await signedIn(s, 'sue', 'supervisor', { contactId: contact.id });
    expect((await sup.get(`/evidence/${ids[0]}/file`)).status).toBe(404);
  });

  it('shows a work order with its problems, replies, evidence and timeline', async () => {
    await importNotice(admin);
    const order = await s.ctx.db('work_orders').where({ code: '2026-0001' }).first();
    const d = (await admin.get(`/work-orders/${order.id}`)).body;
    expect(d.problem_list.map((p: any) => p.category_label)).toEqual(['备案问题', '严重表述错误']);
    expect(d.events.map((e: any) => e.type)).toEqual(['work_order.created']);
    expect(d.events[0].actor).toBe('admin:amy');
    expect((await admin.get('/work-orders/999999')).status).toBe(404);
  });

  it('changes new orders’ expected due dates with a rule, and previews deadlines', async () => {
    await importNotice(admin);
    const before = (await admin.get('/work-orders?q=咸宁交通')).body.items[0];
    // Monday 10:00, 1 working day by default: Tuesday 18:00 Shanghai.
    expect(before.expected_due_at).toBe('2026-11-24T10:00:00.000Z');
    const rule = await admin.post('/deadline-rules', { category: 'wording_error', amount: 2, unit: 'working_days' });
    expect(rule.status).toBe(200);
    const after = (await admin.get('/work-orders?q=咸宁交通')).body.items[0];
    expect(after.expected_due_at).toBe('2026-11-25T10:00:00.000Z');
    const filingOnly = (await admin.get('/work-orders?q=豆香麦市')).body.items[0];
    expect(filingOnly.expected_due_at).toBe('2026-11-24T10:00:00.000Z');

    const p = await admin.get('/deadlines/preview?from=2025-09-30T16:00&amount=1&unit=working_days');
    expect(p.body).toMatchObject({ due: '2025-10-09T18:00:00+08:00', due_label: '2025年10月9日（周四）18:00', provisional: false });
    const decided = await admin.get('/deadlines/preview?from=2026-11-27T16:00&category=wording_error');
    expect(decided.body).toMatchObject({ basis: 'rule', rule_id: rule.body.id, due: '2026-12-01T18:00:00+08:00' });
    expect((await admin.get('/deadlines/preview?from=yesterday')).body.message).toContain('通知时间无效');

    const upd = await admin.put(`/deadline-rules/${rule.body.id}`, { category: 'wording_error', amount: 3, unit: 'calendar_days', cutoff: '12:00' });
    expect(upd.body).toMatchObject({ amount: 3, unit: 'calendar_days', cutoff: '12:00' });
    expect((await admin.del(`/deadline-rules/${rule.body.id}`)).status).toBe(200);
    expect((await admin.get('/deadline-rules')).body.items).toEqual([]);
    expect((await admin.get('/deadline-rules?include_inactive=true')).body.items[0].active).toBe(false);
    expect((await admin.put('/deadline-rules/9999', { amount: 1, unit: 'working_days' })).status).toBe(404);
    const types = (await s.ctx.db('events').where('type', 'like', 'deadline_rule.%').orderBy('id')).map((e: any) => `${e.type}:${e.actor}`);
    expect(types).toEqual(['deadline_rule.created:admin:amy', 'deadline_rule.updated:admin:amy', 'deadline_rule.deactivated:admin:amy']);
  });

  it('warns when next year has no data, loads an arrangement, and sets overrides', async () => {
    const st = (await admin.get('/calendar/status')).body;
    expect(st).toMatchObject({ today: '2026-11-23', next_year: 2027, next_year_missing: true });
    expect(st.warning).toContain('2027年节假日安排尚未导入');
    // 2027 is the provisional year (the packaged data ends with 2026), 2028 has nothing.
    const prov = (await admin.get('/calendar/years/2027')).body;
    expect(prov).toMatchObject({ year: 2027, covered: false, provisional: true });
    expect(prov.days.find((d: any) => d.date === '2027-02-05')).toMatchObject({ workday: false, name: '春节', source: 'provisional' });
    expect((await admin.get('/calendar/years/2028')).body).toEqual({ year: 2028, covered: false, days: [] });
    const p27 = (await admin.get('/deadlines/preview?from=2027-02-04T10:00&amount=1&unit=working_days')).body;
    expect(p27).toMatchObject({ due: '2027-02-09T18:00:00+08:00', provisional: true, due_label: '2027年2月9日（周二）18:00（暂定，待国务院办公厅公布2027年安排后确认）' });

    const bad = await admin.post('/calendar/arrangements', fileForm({ name: 'bad.json', content: '{"year": 2027}' }));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('节假日安排文件无效');
    const loaded = await admin.post('/calendar/arrangements', fileForm(ARRANGEMENT));
    expect(loaded.body).toEqual({ year: 2027, days: 12, off_days: 10, makeup_days: 2, recomputed: { checked: 0, changed: 0, confirmed: 0, still_provisional: 0, messages: 0 } });
    expect((await admin.get('/deadlines/preview?from=2027-02-04T10:00&amount=1&unit=working_days')).body.provisional).toBe(false);
    const after = (await admin.get('/calendar/status')).body;
    expect(after.next_year_missing).toBe(false);
    expect(after.warning).toBeNull();
    expect(after.arrangements).toEqual([expect.objectContaining({ year: 2027, source: 'arrangement-2027.json', loaded_by: 'admin:amy' })]);
    const y = (await admin.get('/calendar/years/2027')).body;
    expect(y.days).toHaveLength(365);
    expect(y.days.find((d: any) => d.date === '2027-02-13')).toMatchObject({ type: 'makeup', workday: true });

    expect((await admin.put('/calendar/overrides/2026-11-28', { workday: true, reason: '调休上班' })).body.day.type).toBe('makeup');
    expect((await admin.get('/deadlines/preview?from=2026-11-27T16:00&amount=1&unit=working_days')).body.due).toBe('2026-11-28T18:00:00+08:00');
    expect((await admin.put('/calendar/overrides/2026-13-01', { workday: true, reason: 'x' })).status).toBe(400);
    expect((await admin.put('/calendar/overrides/2026-11-29', { workday: true })).body.message).toContain('reason');
    expect((await admin.del('/calendar/overrides/2026-11-28')).status).toBe(200);
    expect((await admin.del('/calendar/overrides/2026-11-28')).status).toBe(404);
  });
});

describeEachDb('admin API: contacts, escalations, reviews, templates, events', (get) => {
  let s: AdminServer;
  let admin: Client;
  beforeEach(async () => {
    s = await startAdminServer(get());
    admin = await signedIn(s, 'amy', 'admin');
  });
  afterEach(() => s.close());

  it('edits units and contacts and lists unreachable contacts', async () => {
    const unit = (await admin.post('/units', { name: '市民政局', jurisdiction: '市直' })).body;
    expect((await admin.post('/units', { name: ' 市民政局 ' })).status).toBe(409);
    const c = (await admin.post('/contacts', { unit_id: unit.id, wecom_userid: 'zhang.san', name: '张三', role: 'primary' })).body;
    expect(c).toMatchObject({ unit_name: '市民政局', reachable: true, role_label: '主联系人' });
    await s.ctx.db('contacts').where({ id: c.id }).update({ reachable: false, unreachable_reason: '81013 用户不存在' });
    const unreachable = (await admin.get('/contacts?reachable=false')).body;
    expect(unreachable.items.map((x: any) => [x.name, x.unreachable_reason])).toEqual([['张三', '81013 用户不存在']]);
    expect((await admin.get('/units')).body.items[0]).toMatchObject({ contacts: 1, unreachable: 1 });
    expect((await admin.patch(`/contacts/${c.id}`, { reachable: true })).body).toMatchObject({ reachable: true, unreachable_reason: null });
    expect((await admin.patch(`/units/${unit.id}`, { jurisdiction: '咸安区' })).body.jurisdiction).toBe('咸安区');
    const badId = await admin.post('/contacts', { wecom_userid: '张 三', role: 'primary' });
    expect(badId.body.message).toContain('企业微信账号只能包含');
    expect((await admin.post('/supervisions', { contact_id: c.id })).body.message).toContain('二选一');
    const types = (await s.ctx.db('events').whereIn('type', ['unit.created', 'contact.created', 'contact.updated', 'unit.updated'])).map((e: any) => e.actor);
    expect(new Set(types)).toEqual(new Set(['admin:amy']));
  });

  it('imports a contacts file through the conversation module, and refuses a bad one whole', async () => {
    const good = '单位,企业微信账号,姓名,角色,辖区\n市民政局,li.si,李四,主联系人,市直\n市民政局,wang.wu,王五,AB角,市直\n';
    const dry = await admin.post('/contacts/import', fileForm({ name: 'c.csv', content: good }, { dry_run: 'true' }));
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ rows: 2, contacts: 2, units_new: 1 });
    expect((await admin.get('/contacts')).body.items).toEqual([]);
    const real = await admin.post('/contacts/import', fileForm({ name: 'c.csv', content: good }));
    expect(real.body).toMatchObject({ rows: 2, contacts: 2, rejected: [] });
    expect((await admin.get('/contacts')).body.items.map((c: any) => c.wecom_userid).sort()).toEqual(['li.si', 'wang.wu']);
    const bad = await admin.post('/contacts/import', fileForm({ name: 'bad.csv', content: '单位,企业微信账号,姓名,角色\n市财政局,zhao.liu,赵六,主联系人\n市财政局,,钱七,校长\n' }));
    expect(bad.status).toBe(422);
    expect(bad.body.message).toContain('未写入任何数据');
    expect((await admin.get('/contacts')).body.items).toHaveLength(2);
  });

  it('records the action taken on an escalation', async () => {
    await importNotice(admin);
    await importNotice(admin, { doc_no: '咸政网办〔2026〕9号', issued_on: '2026-11-21' });
    const list = (await admin.get('/escalations?kind=repeat_target')).body;
    expect(list.total).toBe(10);
    const e = list.items[0];
    expect(e).toMatchObject({ status: 'open', count: 2, proposed_action: '责令关停' });
    const done = await admin.post(`/escalations/${e.id}/action`, { status: 'actioned', action_taken: '已责令关停' });
    expect(done.status).toBe(200);
    const again = (await admin.get('/escalations?status=actioned')).body.items[0];
    expect(again).toMatchObject({ id: e.id, action_taken: '已责令关停', actioned_by: 'admin:amy' });
    expect((await admin.post(`/escalations/${e.id}/action`, { status: 'actioned', action_taken: '' })).body.message).toContain('请填写采取的措施');
  });

  it('lets a supervisor review a reply of its unit: accept closes the order', async () => {
    await importNotice(admin);
    const order = await s.ctx.db('work_orders').where({ code: '2026-0002' }).first();
    const at = s.clock.now();
    await s.ctx.workOrders.transition(order.id, 'notify', { actor: 'test', at, dueAt: new Date(at.getTime() + 86_400_000) });
    await s.ctx.workOrders.transition(order.id, 'reply', { actor: 'test', at });
    const [reply] = await s.ctx.db('replies').insert({ work_order_id: order.id, kind: 'rectified', text: '已整改', created_at: at.getTime() }).returning('id');
    const replyId = Number(typeof reply === 'object' ? reply.id : reply);
    const contact = (await admin.post('/contacts', { wecom_userid: 'sue', role: 'supervisor' })).body;
    await admin.post('/supervisions', { contact_id: contact.id, jurisdiction: '通城县' });
    const sup = await signedIn(s, 'sue', 'supervisor', { contactId: contact.id });
    // Not its unit (市直): not found.
    expect((await sup.post(`/replies/${replyId}/review`, { decision: 'accept' })).status).toBe(404);
    await admin.post('/supervisions', { contact_id: contact.id, unit_id: order.unit_id });
    expect((await sup.post(`/replies/${replyId}/review`, { decision: 'reject' })).body.message).toBe('退回时请填写退回原因');
    const ok = await sup.post(`/replies/${replyId}/review`, { decision: 'accept', comment: '同意' });
    expect(ok.status).toBe(200);
    expect(ok.body.work_order.state).toBe('accepted');
    expect((await sup.post(`/replies/${replyId}/review`, { decision: 'accept' })).status).toBe(409);
    const ev = await s.ctx.db('events').where({ type: 'work_order.accept' }).first();
    expect(ev.actor).toBe('admin:sue');
    expect((await s.ctx.db('replies').where({ id: replyId }).first()).reviewed_by).toBe('admin:sue');
  });

  it('lists, overrides, previews and resets the bot message templates', async () => {
    const list = (await admin.get('/message-templates')).body.items as any[];
    expect(list.length).toBeGreaterThan(10);
    const t = list.find((x) => x.placeholders.includes('code') && x.placeholders.includes('target'));
    expect(t).toBeDefined();
    expect(t.text).toBe(t.default_text);
    const unknown = await admin.put(`/message-templates/${t.key}`, { text: '工单 {code} {nonsense}' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('{nonsense}');
    expect((await admin.put(`/message-templates/${t.key}`, { text: '请尽快整改' })).body.message).toContain('{code}');
    const set = await admin.put(`/message-templates/${t.key}`, { text: '工单 {code}：{target} 请尽快整改' });
    expect(set.body).toMatchObject({ overridden: true, text: '工单 {code}：{target} 请尽快整改' });
    const preview = await admin.post(`/message-templates/${t.key}/preview`, { values: { code: '2026-0009' } });
    expect(preview.body.text).toBe(`工单 2026-0009：${t.sample.target} 请尽快整改`);
    expect(await s.ctx.chat.templates.render(t.key, { code: 'X-1', target: '某公众号' })).toBe('工单 X-1：某公众号 请尽快整改');
    expect((await admin.del(`/message-templates/${t.key}`)).body).toMatchObject({ overridden: false, text: t.default_text });
    const events = (await s.ctx.db('events').whereIn('type', ['template.updated', 'template.reset']).orderBy('id')).map((e: any) => [e.type, e.actor]);
    expect(events).toEqual([['template.updated', 'admin:amy'], ['template.reset', 'admin:amy']]);
    expect((await admin.put('/message-templates/Bad Key', { text: 'x' })).status).toBe(400);
  });

  it('lists the event log, newest first, filtered by type prefix', async () => {
    await admin.post('/deadline-rules', { amount: 2, unit: 'working_days' });
    await admin.put('/calendar/overrides/2026-11-28', { workday: true, reason: '调休' });
    const all = (await admin.get('/events?type=deadline_rule')).body;
    expect(all.items.map((e: any) => e.type)).toEqual(['deadline_rule.created']);
    expect((await admin.get('/events?actor=admin:amy')).body.items.map((e: any) => e.type)).toEqual(['calendar.override_set', 'deadline_rule.created', 'user.login']);
  });
});
