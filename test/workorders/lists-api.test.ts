/**
 * The work-order lists (sorting, saved views, page size, working days overdue), the dashboard's
 * queues, the event log's labels, the rules' labels and effective deadlines, and a refused
 * upload, through the API on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
 */
import path from 'node:path';
import { describeEachDb } from '../support/db';
import { ROOT } from '../support/spawn';
import { Client, fileForm, TOKEN } from '../admin/support';
import { startWorld, stopWorld, type World } from './support';

const NOTICE = path.join(ROOT, 'test', 'fixtures', 'import', 'xianning-2022q4-newmedia.csv');
const JT = '咸宁市交通运输局';
const GA = '咸宁市公安局';
const SJ = '咸宁市市场监督管理局';

describeEachDb('work-order lists, queues, labels', (get) => {
  let w: World;
  let ids: { jt: number; ga: number; sj: number };
  beforeEach(async () => {
    w = await startWorld(get());
    ids = { jt: await w.orderOf(JT), ga: await w.orderOf(GA), sj: await w.orderOf(SJ) };
    // Now: Monday 2026-11-23 10:00 in Beijing.
    await w.notify(ids.ga, '2026-11-19T10:00:00Z'); // Thursday 18:00
    await w.notify(ids.jt, '2026-11-20T10:00:00Z'); // Friday 18:00
    await w.notify(ids.sj, '2026-11-23T10:00:00Z'); // today 18:00
  });
  afterEach(() => stopWorld(w));

  const list = async (c: Client, qs: string) => {
    const r = await c.get(`/work-orders?${qs}`);
    expect(r.status).toBe(200);
    return r.body;
  };

  it('counts working days overdue across a weekend and a holiday, and sorts by them', async () => {
    const days = async () => Object.fromEntries((await list(w.admin, 'page_size=100')).items.map((o: any) => [o.id, o.overdue_working_days]));
    let d = await days();
    expect([d[ids.ga], d[ids.jt], d[ids.sj]]).toEqual([2, 1, 0]); // Fri + Mon; Mon (the weekend does not count); not yet due
    expect(Object.values(d).every((n) => Number.isInteger(n))).toBe(true);
    // Friday becomes a day off: Thursday's deadline is now one working day behind too.
    expect((await w.admin.put('/calendar/overrides/2026-11-20', { workday: false, reason: '临时休假' })).status).toBe(200);
    d = await days();
    expect([d[ids.ga], d[ids.jt]]).toEqual([1, 1]);

    const desc = (await list(w.admin, 'sort=overdue_working_days&dir=desc&page_size=100')).items.map((o: any) => o.id);
    expect(desc.slice(0, 2)).toEqual([ids.ga, ids.jt]); // equally many working days: the earlier deadline first
    const asc = (await list(w.admin, 'sort=overdue_working_days&dir=asc&page_size=100')).items.map((o: any) => o.id);
    expect(asc.slice(-2)).toEqual([ids.jt, ids.ga]);
  });

  it('sorts on every column, pages, and refuses an unknown column in Chinese', async () => {
    const dueAsc = (await list(w.admin, 'sort=due_at&dir=asc&page_size=100')).items;
    expect(dueAsc.slice(0, 3).map((o: any) => o.id)).toEqual([ids.ga, ids.jt, ids.sj]);
    expect(dueAsc.slice(3).every((o: any) => o.due_at === null)).toBe(true); // empty last
    const dueDesc = (await list(w.admin, 'sort=due_at&dir=desc&page_size=100')).items;
    expect(dueDesc.slice(0, 3).map((o: any) => o.id)).toEqual([ids.sj, ids.jt, ids.ga]);
    expect(dueDesc.slice(3).every((o: any) => o.due_at === null)).toBe(true);

    const byState = (await list(w.admin, 'sort=state&dir=desc&page_size=100')).items;
    expect(byState.slice(0, 3).map((o: any) => o.state_label)).toEqual(['待整改', '待整改', '待整改']);
    expect(byState[byState.length - 1].state).toBe('new');

    for (const column of ['id', 'notice', 'unit', 'target', 'problems', 'updated_at']) {
      const a = (await list(w.admin, `sort=${column}&dir=asc&page_size=100`)).items.map((o: any) => o.id);
      const z = (await list(w.admin, `sort=${column}&dir=desc&page_size=100`)).items.map((o: any) => o.id);
      expect(a).toHaveLength(10);
      expect(new Set(a)).toEqual(new Set(z));
      if (column === 'id') expect(z).toEqual([...a].reverse());
    }
    const idsAsc = (await list(w.admin, 'sort=id&page_size=100')).items.map((o: any) => o.id);
    expect(idsAsc).toEqual([...idsAsc].sort((x: number, y: number) => x - y));
    const units = (await list(w.admin, 'sort=unit&page_size=100')).items.map((o: any) => o.unit.name);
    expect(new Set(units).size).toBe(10);

    const page2 = await list(w.admin, 'sort=id&page=2&page_size=20');
    expect(page2).toMatchObject({ total: 10, page: 2, page_size: 20, items: [] });
    const small = await list(w.admin, 'sort=id&page=2&page_size=3');
    expect(small.items.map((o: any) => o.id)).toEqual(idsAsc.slice(3, 6));

    const bad = await w.admin.get('/work-orders?sort=color');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('排序列须为');
    expect((await w.admin.get('/work-orders?view=mine')).body.message).toContain('视图须为');
  });

  it('saved views and the dashboard queues, in the caller\'s scope', async () => {
    // A reply waiting for review on 市场监管局's order.
    const at = w.s.clock.now();
    await w.s.ctx.workOrders.transition(ids.sj, 'reply', { actor: 'wecom:sj01', at });
    await w.s.ctx.db('replies').insert({ work_order_id: ids.sj, kind: 'rectified', text: '已整改', created_at: at.getTime() });
    // The same accounts named again in a second notice of the year: repeat offenders.
    const token = new Client(w.s.base, TOKEN);
    const fields = { doc_no: '咸政网办〔2026〕9号', issued_on: '2026-11-21' };
    const p = await token.post('/notices/uploads', fileForm(NOTICE, fields));
    expect((await token.post(`/notices/uploads/${p.body.upload_id}/confirm`, fields)).status).toBe(200);

    const view = async (c: Client, v: string) => (await list(c, `view=${v}&page_size=100`)).items.map((o: any) => o.id).sort();
    expect(await view(w.admin, 'my_review')).toEqual([ids.sj]);
    expect(await view(w.admin, 'overdue')).toEqual([ids.ga, ids.jt].sort());
    expect(await view(w.admin, 'due_today')).toEqual([]); // 市场监管局 has answered
    const repeat = await view(w.admin, 'repeat');
    expect(repeat).toHaveLength(20); // every account, in both notices
    expect((await w.admin.get('/dashboard')).body.queues).toEqual({ my_review: 1, due_today: 0, overdue: 2, repeat: 20 });

    // A withdrawn order leaves the queues.
    expect((await w.admin.post(`/work-orders/${ids.ga}/withdraw`, { reason: '通报有误' })).status).toBe(200);
    expect((await w.admin.get('/dashboard')).body.queues).toEqual({ my_review: 1, due_today: 0, overdue: 1, repeat: 19 });

    const sup = await w.supervisor('sue', [JT]);
    expect(await view(sup, 'my_review')).toEqual([]);
    expect(await view(sup, 'overdue')).toEqual([ids.jt]);
    expect((await sup.get('/dashboard')).body.queues).toEqual({ my_review: 0, due_today: 0, overdue: 1, repeat: 2 });
  });

  it('exports the selected orders only', async () => {
    const r = await w.admin.get(`/work-orders/export?ids=${ids.jt},${ids.ga}&format=csv`);
    expect(r.status).toBe(200);
    const lines = r.raw.toString('utf8').trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).join('\n')).toContain('咸宁交通');
    expect((await w.admin.get('/work-orders/export?ids=1,x&format=csv')).body.message).toContain('逗号分隔的数字');
  });

  it('labels events and names their actors in the event log', async () => {
    await w.admin.post(`/work-orders/${ids.jt}/notes`, { text: '已电话联系' });
    const ev = (await w.admin.get(`/events?work_order_id=${ids.jt}`)).body.items;
    expect(ev[0]).toMatchObject({ type: 'work_order.note', label: '备注', actor: 'admin:amy', actor_name: 'amy（管理员）', data: { text: '已电话联系' } });
    expect(ev.find((e: any) => e.type === 'work_order.notify')).toMatchObject({ label: '通知单位', actor_name: '系统' });
  });

  it('shows rule labels and an effective deadline per target type and category', async () => {
    expect((await w.admin.post('/deadline-rules', { target_kind: 'newmedia', category: 'wording_error', amount: 2, unit: 'working_days' })).status).toBe(200);
    const r = (await w.admin.get('/deadline-rules')).body;
    expect(r.items[0]).toMatchObject({ target_kind: 'newmedia', target_kind_label: '政务新媒体', category: 'wording_error', category_label: '严重表述错误' });
    const row = (kind: string, cat: string) => r.effective.find((e: any) => e.target_kind === kind && e.category === cat);
    expect(row('newmedia', 'wording_error')).toMatchObject({ basis: 'rule', rule_id: r.items[0].id, target_kind_label: '政务新媒体', category_label: '严重表述错误' });
    expect(row('website', 'wording_error')).toMatchObject({ basis: 'default', rule_id: null });
    // Monday 10:00 + 2 working days → Wednesday 18:00; the default (5) → next Monday.
    expect(row('newmedia', 'wording_error').due).toBe('2026-11-25T10:00:00.000Z');
    expect(row('website', 'wording_error').due).not.toBe(row('newmedia', 'wording_error').due);
  });

  it('refuses an image uploaded as a notice, saying what it is', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const r = await new Client(w.s.base, TOKEN).post('/notices/uploads', fileForm({ name: '截图.png', content: png }));
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('PNG 图片');
    expect(r.body.message).toContain('通报原文');
    expect(r.body.message).not.toMatch(/--[a-z]/);

    // A table whose headers are not understood: the hint names the console's column mapping, not a CLI flag.
    const odd = await new Client(w.s.base, TOKEN).post('/notices/uploads', fileForm({ name: '表.csv', content: '甲,乙\n咸宁交通,错别字\n' }));
    const reasons = JSON.stringify(odd.body);
    expect(reasons).toContain('找不到必需的列');
    expect(reasons).toContain('列对应');
    expect(reasons).not.toMatch(/--[a-z]/);
  });
});
