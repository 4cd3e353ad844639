/** Monitoring orders through the admin API (HTTP), on SQLite and (with TEST_DATABASE_URL) PostgreSQL. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeEachDb } from '../support/db';
import { Client, signedIn, startAdminServer, TOKEN, type AdminServer } from '../admin/support';

const FIX = path.join(__dirname, '..', 'fixtures', 'monitoring');
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

const form = {
  unit: '甲县教育局',
  target: '甲县教育发布',
  platform: '微信公众号',
  problem: '“民族团结”误写为“名族团结”',
  source: '省监管平台',
  external_no: 'GDZW-20261127-0153',
  external_url: 'https://jg.example.gov.cn/wo/GDZW-20261127-0153',
  received_at: '2026-11-27T15:32:00+08:00',
};

describeEachDb('monitoring orders over the API', (get) => {
  let s: AdminServer;
  let media: string;
  beforeEach(async () => {
    media = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-mo-api-'));
    s = await startAdminServer(get(), {}, { MEDIA_DIR: media });
    s.clock.set('2026-12-01T02:00:00Z');
  });
  afterEach(async () => {
    await s.close();
    fs.rmSync(media, { recursive: true, force: true });
  });

  it('creates from the form fields with the token, answers the same order for a repeat, and is in the OpenAPI document', async () => {
    const script = new Client(s.base, TOKEN);
    const first = await script.post('/work-orders', form);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ id: expect.any(Number), code: '2026-0001', unit: '甲县教育局', target: '甲县教育发布', due_at: '2026-11-30T18:00:00+08:00', created: true });
    const again = await script.post('/work-orders', { ...form, problem: '平台再次推送' });
    expect(again.body).toEqual({ ...first.body, created: false });

    const bad = await script.post('/work-orders', { ...form, external_no: 'X-2', problem: '', received_at: 'last friday' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^输入有误：problem：请填写问题描述/);
    const badTime = await script.post('/work-orders', { ...form, external_no: 'X-2', received_at: 'last friday' });
    expect(badTime.status).toBe(400);
    expect(badTime.body.message).toBe('接收时间无效：last friday（须为 ISO-8601，如 2026-11-27T15:32:00+08:00）');
    const [{ n }] = await s.ctx.db('work_orders').count({ n: '*' });
    expect(Number(n)).toBe(1);

    const doc = (await new Client(s.base).get('/openapi.json')).body;
    const op = doc.paths['/api/work-orders'].post;
    expect(op.summary).toContain('去重');
    expect(Object.keys(op.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['target', 'unit', 'platform', 'problem', 'source', 'external_no', 'external_url', 'received_at', 'screenshot']),
    );
    expect(doc.paths['/api/work-orders/parse'].post).toBeDefined();
    expect(doc.paths['/api/monitoring/stats'].get).toBeDefined();
  });

  it('makes one order of concurrent POSTs with one external number', async () => {
    const script = new Client(s.base, TOKEN);
    const all = await Promise.all(Array.from({ length: 6 }, () => script.post('/work-orders', { ...form, external_no: 'GD-RACE-1' })));
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(all.filter((r) => r.body.created)).toHaveLength(1);
    expect(new Set(all.map((r) => r.body.id)).size).toBe(1);
    const [{ n }] = await s.ctx.db('work_orders').where({ external_no: 'GD-RACE-1' }).count({ n: '*' });
    expect(Number(n)).toBe(1);
    const [{ n: notices }] = await s.ctx.db('notices').count({ n: '*' });
    expect(Number(notices)).toBe(1);
  });

  it('wants an admin session with its CSRF token, as other changes do', async () => {
    const admin = await signedIn(s, 'amy', 'admin');
    const noCsrf = await admin.req('POST', '/work-orders', form, { 'x-csrf-token': '' });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.message).toContain('CSRF');
    const viewer = await signedIn(s, 'vic', 'viewer');
    expect((await viewer.post('/work-orders', form)).status).toBe(403);
    const ok = await admin.post('/work-orders', { ...form, screenshot: { mime: 'image/png', data_base64: PNG.toString('base64') } });
    expect(ok.status).toBe(200);
    const detail = (await admin.get(`/work-orders/${ok.body.id}`)).body;
    expect(detail).toMatchObject({ source: '省监管平台', external_no: form.external_no, external_url: form.external_url, received_at: '2026-11-27T07:32:00.000Z', due_at: '2026-11-30T10:00:00.000Z' });
    expect(detail.evidence).toHaveLength(1);
    expect((await admin.get(detail.evidence[0].url.replace(/^\/api/, ''))).raw.equals(PNG)).toBe(true);
    const ev = await s.ctx.db('events').where({ type: 'work_order.created' }).first();
    expect(ev.actor).toBe('admin:amy');
    const refused = await admin.post('/work-orders', { ...form, external_no: 'Y', screenshot: { mime: 'text/html', data_base64: 'PGI+' } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe('截图须为 PNG、JPEG、GIF 或 WebP 图片');
  });

  it('fills the form from pasted text with several platform messages, and the list filters by source and number', async () => {
    const admin = await signedIn(s, 'amy', 'admin');
    const parsed = await admin.post('/work-orders/parse', { text: fs.readFileSync(path.join(FIX, 'pasted-three.txt'), 'utf8') });
    expect(parsed.status).toBe(200);
    const drafts = parsed.body.drafts;
    expect(drafts.map((d: any) => [d.external_no, d.target, d.platform, d.unit, d.source])).toEqual([
      ['GDZW-20261127-0153', '甲县教育发布', '微信公众号', '甲县教育局', '省监管平台'],
      ['GDZW-20261127-0160', '乙市交通', '新浪微博', '乙市交通运输局', '省监管平台'],
      ['SJC2026-1128-07', '甲县文旅', '抖音', null, '市级监测'],
    ]);
    expect(drafts[0].preview).toMatchObject({ due_at: '2026-11-30T18:00:00+08:00', due_basis: 'default', problems: [{ category: 'wording_error', label: '严重表述错误' }] });
    expect(drafts[1].preview.problems.map((p: any) => p.category)).toEqual(['not_updated', 'not_updated']);
    expect(drafts[2].preview).toMatchObject({ due_at: '2026-12-01T17:00:00+08:00', due_basis: 'stated', problems_to_fix: [expect.stringContaining('请填写单位')] });

    // The admin confirms each (the third with its unit filled in).
    for (const d of drafts) {
      const r = await admin.post('/work-orders', {
        target: d.target, platform: d.platform, unit: d.unit ?? '甲县文化和旅游局', problem: d.problem, source: d.source,
        external_no: d.external_no, external_url: d.external_url ?? undefined, received_at: d.received_at, due_at: d.due_at ?? undefined,
      });
      expect(r.body.created).toBe(true);
    }
    const provincial = (await admin.get('/work-orders?source=省监管平台')).body;
    expect(provincial.items.map((o: any) => o.external_no).sort()).toEqual(['GDZW-20261127-0153', 'GDZW-20261127-0160']);
    const one = (await admin.get('/work-orders?external_no=SJC2026-1128-07')).body;
    expect(one.items.map((o: any) => [o.source, o.target.name, o.unit.name])).toEqual([['市级监测', '甲县文旅', '甲县文化和旅游局']]);
    expect((await admin.get('/work-orders?external_no=NOPE')).body.total).toBe(0);
    // Their one-order notices stay off the notices list.
    expect((await admin.get('/notices')).body.total).toBe(0);

    // The export lists each order with its received, answered and closed instants.
    const csv = (await admin.get('/work-orders/export?format=csv&source=省监管平台')).raw.toString('utf8');
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('序号,辖区,名称,平台,主办单位,存在问题,整改情况,工单编号,截止时间,来源,平台工单编号,接收时间,反馈时间,办结时间');
    expect(lines.slice(1).map((l) => l.split(',').slice(-5)).sort((a, b) => a[1].localeCompare(b[1]))).toEqual([
      ['省监管平台', 'GDZW-20261127-0153', '2026-11-27 15:32', '', ''],
      ['省监管平台', 'GDZW-20261127-0160', '2026-11-27 16:05', '', ''],
    ]);
  });

  it('keeps the sources list, and previews the deadline by source before saving', async () => {
    const admin = await signedIn(s, 'amy', 'admin');
    expect((await admin.get('/monitoring/sources')).body.items.map((x: any) => [x.name, x.counts_repeats])).toEqual([
      ['省监管平台', true], ['市级监测', true], ['网民留言', false], ['其他', false],
    ]);
    const put = await admin.put('/monitoring/sources', { items: [{ name: '省监管平台', counts_repeats: true }, { name: '12345热线', counts_repeats: false }] });
    expect(put.status).toBe(200);
    expect((await admin.get('/monitoring/sources')).body.items.map((x: any) => x.name)).toEqual(['省监管平台', '12345热线']);
    expect((await admin.put('/monitoring/sources', { items: [{ name: 'a', counts_repeats: true }, { name: 'a', counts_repeats: false }] })).body.message).toBe('来源重复：a');
    await admin.post('/deadline-rules', { source: '12345热线', amount: 2, unit: 'working_days' });
    const p = await admin.post('/work-orders/preview', { ...form, source: '12345热线' });
    expect(p.body).toMatchObject({ due_at: '2026-12-01T18:00:00+08:00', due_basis: 'rule', existing: null, target: { known: false }, unit: { known: false } });
    const gone = await admin.post('/work-orders', { ...form, source: '网民留言' });
    expect(gone.status).toBe(400);
    expect(gone.body.message).toBe('来源“网民留言”不在来源列表中（可选：省监管平台、12345热线）；如需新增请在来源设置中添加');
    // Autocomplete over known targets gives each with its unit.
    await admin.post('/work-orders', form);
    const found = (await admin.get('/monitoring/targets?q=教育')).body.items;
    expect(found).toEqual([expect.objectContaining({ name: '甲县教育发布', platform: '微信公众号', unit: { id: expect.any(Number), name: '甲县教育局' } })]);
  });

  it('measures the on-time rate within the deadline and the median time to answer, per source and unit, by month and quarter', async () => {
    const script = new Client(s.base, TOKEN);
    const make = async (extra: Record<string, string>) => (await script.post('/work-orders', { ...form, ...extra })).body.id as number;
    const answer = async (id: number, at: string) => {
      await s.ctx.workOrders.transition(id, 'notify', { actor: 'test', at: new Date(s.clock.now()) });
      await s.ctx.workOrders.transition(id, 'reply', { actor: 'test', at: new Date(at) });
    };
    const unitB = { unit: '乙市交通运输局', target: '乙市交通', platform: '新浪微博' };
    const o1 = await make({ external_no: 'P1', received_at: '2026-11-23T10:00:00+08:00' }); // due 11-24 18:00
    const o2 = await make({ external_no: 'P2', received_at: '2026-11-27T15:32:00+08:00' }); // due 11-30 18:00
    await make({ ...unitB, external_no: 'P3', received_at: '2026-11-25T09:00:00+08:00' }); // due 11-26 18:00, never answered
    await make({ ...unitB, source: '网民留言', external_no: 'L1', received_at: '2026-11-30T11:00:00+08:00' }); // due 12-01 18:00, not yet
    const o5 = await make({ ...unitB, external_no: 'P5', received_at: '2026-10-09T11:00:00+08:00' }); // due 10-10 (make-up Saturday)
    await answer(o1, '2026-11-24T09:00:00+08:00'); // 23 h, on time
    await answer(o2, '2026-12-01T10:00:00+08:00'); // 90.5 h, late
    await answer(o5, '2026-10-10T12:00:00+08:00'); // 25 h, on time

    const month = (await script.get('/monitoring/stats?period=month&year=2026')).body;
    const nov = (rows: any[], key: string, v: string) => rows.find((r) => r.period === '2026-11' && r[key] === v);
    expect(nov(month.by_source, 'source', '省监管平台')).toMatchObject({ total: 3, answered: 2, on_time: 1, late_unanswered: 1, on_time_rate: 1 / 3, median_answer_hours: 56.7 });
    expect(nov(month.by_source, 'source', '网民留言')).toMatchObject({ total: 1, answered: 0, on_time_rate: null, median_answer_hours: null });
    expect(nov(month.by_unit, 'unit_name', '甲县教育局')).toMatchObject({ total: 2, on_time: 1, on_time_rate: 0.5 });
    expect(nov(month.by_unit, 'unit_name', '乙市交通运输局')).toMatchObject({ total: 2, on_time: 0, late_unanswered: 1, on_time_rate: 0 });
    expect(month.by_source.find((r: any) => r.period === '2026-10')).toMatchObject({ source: '省监管平台', total: 1, on_time_rate: 1, median_answer_hours: 25 });

    const quarter = (await script.get('/monitoring/stats?period=quarter&year=2026&source=省监管平台')).body;
    expect(quarter.by_source).toEqual([expect.objectContaining({ period: '2026-Q4', source: '省监管平台', total: 4, answered: 3, on_time: 2, late_unanswered: 1, on_time_rate: 0.5, median_answer_hours: 25 })]);
    expect(quarter.totals).toMatchObject({ total: 4, on_time_rate: 0.5 });
    // A supervisor sees only its units' orders.
    expect((await script.get('/monitoring/stats?period=quarter&year=2025')).body.totals.total).toBe(0);
  });
});
