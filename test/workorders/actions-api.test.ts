/**
 * Acting on orders through the API (催办, deadline, withdraw, reassign, note, bulk), with the
 * messages the units receive from the fake WeCom, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { describeEachDb } from '../support/db';
import { OrderViews } from '../../src/domain/conversation/views';
import { signedIn } from '../admin/support';
import { startWorld, stopWorld, type World } from './support';

const JT = '咸宁市交通运输局';
const GA = '咸宁市公安局';
const SJ = '咸宁市市场监督管理局';
const CG = '咸宁市城市管理执法委员会';

describeEachDb('order actions through the API', (get) => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld(get());
  });
  afterEach(() => stopWorld(w));

  it('催办: the unit is reminded now, the timeline shows who and the delivery; roles and scope are checked', async () => {
    const id = await w.orderOf(JT);
    const other = await w.orderOf(GA);
    // Not notified yet: nothing to remind.
    const early = await w.admin.post(`/work-orders/${id}/remind`, {});
    expect(early.status).toBe(409);
    expect(early.body.message).toContain('尚未通知单位');
    await w.notify(id, '2026-11-24T10:00:00Z');
    await w.notify(other, '2026-11-24T10:00:00Z');

    const viewer = await signedIn(w.s, 'vic', 'viewer');
    expect((await viewer.post(`/work-orders/${id}/remind`, {})).status).toBe(403);
    const sup = await w.supervisor('sue', [JT]);
    expect((await sup.post(`/work-orders/${other}/remind`, {})).status).toBe(404);

    const r = await sup.post(`/work-orders/${id}/remind`, { note: '请今天内办结' });
    expect(r.status).toBe(200);
    expect(r.body.messages).toBe(1);
    await w.deliver();
    const got = w.received('jt01');
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('【催办】');
    expect(got[0]).toContain('请今天内办结');
    expect(w.received('ga01')).toHaveLength(0);

    const d = (await w.admin.get(`/work-orders/${id}`)).body;
    const item = d.timeline.find((t: any) => t.type === 'work_order.reminded');
    expect(item).toMatchObject({ label: '催办提醒', actor: { name: '督办sue' } });
    expect(item.raw.actor).toBe('admin:sue');
    expect(item.deliveries).toEqual([expect.objectContaining({ to: '贾通（咸宁市交通运输局）', state: 'sent', state_label: '已送达' })]);
    // The sender's own "message sent" entry is folded into that delivery, not a line of its own.
    expect(d.timeline.some((t: any) => t.type.startsWith('message.out.'))).toBe(false);
    expect(d.allowed_actions).toEqual(expect.arrayContaining(['remind', 'due', 'withdraw', 'reassign', 'note']));
    expect((await viewer.get(`/work-orders/${id}`)).body.allowed_actions).toEqual([]);
  });

  it('审核 on the order page decides as chat does: a rejection goes back to the unit with the reason, an approval tells it', async () => {
    const id = await w.orderOf(JT);
    await w.notify(id, '2026-11-24T10:00:00Z');
    const reply = async (text: string): Promise<number> => {
      const form = new FormData();
      form.append('text', text);
      const r = await w.admin.post(`/work-orders/${id}/replies`, form);
      expect(r.status).toBe(200);
      return Number(r.body.reply_id);
    };
    const first = await reply('已更新栏目');
    await w.deliver();
    const before = w.received('jt01').length;
    const sup = await w.supervisor('sue', [JT]);
    expect((await sup.post(`/replies/${first}/review`, { decision: 'reject' })).body.message).toBe('退回时请填写退回原因');
    const rejected = await sup.post(`/replies/${first}/review`, { decision: 'reject', comment: '首页仍有空白栏目' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.work_order.state).toBe('rejected');
    await w.deliver();
    const renotice = w.received('jt01').slice(before);
    expect(renotice.some((m) => m.includes('首页仍有空白栏目'))).toBe(true);
    expect((await w.admin.get(`/work-orders/${id}`)).body.state).toBe('notified');

    const second = await reply('已补齐空白栏目');
    const accepted = await sup.post(`/replies/${second}/review`, { decision: 'accept' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.work_order.state).toBe('accepted');
    await w.deliver();
    expect(w.received('jt01').some((m) => m.includes('审核通过'))).toBe(true);
    expect((await sup.post(`/replies/${second}/review`, { decision: 'accept' })).status).toBe(409);
    const ev = await w.s.ctx.db('events').where({ type: 'work_order.accept', work_order_id: id }).first();
    expect(ev.actor).toBe('admin:sue');
  });

  it('bulk 催办 of three overdue orders sends three reminders, and says which ids failed', async () => {
    const ids = [await w.orderOf(JT), await w.orderOf(GA), await w.orderOf(SJ)];
    for (const id of ids) await w.notify(id, '2026-11-20T10:00:00Z'); // Friday: overdue now (Monday)
    const overdue = (await w.admin.get('/work-orders?view=overdue')).body;
    expect(overdue.items.map((o: any) => o.id).sort()).toEqual([...ids].sort());
    const notNotified = await w.orderOf(CG);
    const r = await w.admin.post('/work-orders/bulk', { action: 'remind', ids: [...ids, notNotified, 999999] });
    expect(r.status).toBe(200);
    expect(r.body.results.filter((x: any) => x.ok).map((x: any) => x.id)).toEqual(ids);
    expect(r.body.results.find((x: any) => x.id === notNotified)).toMatchObject({ ok: false, error: expect.stringContaining('尚未通知') });
    expect(r.body.results.find((x: any) => x.id === 999999)).toMatchObject({ ok: false, error: '工单不存在' });
    await w.deliver();
    for (const u of ['jt01', 'ga01', 'sj01']) expect(w.received(u).filter((t) => t.startsWith('【催办】'))).toHaveLength(1);
    expect(w.received('cg01')).toHaveLength(0);
    const bad = await w.admin.post('/work-orders/bulk', { action: 'due', ids });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('新期限');
  });

  it('changes a deadline on a working day only, resets overdue, and tells the unit', async () => {
    const id = await w.orderOf(JT);
    await w.notify(id, '2026-11-20T10:00:00Z');
    await w.s.ctx.workOrders.markOverdue(id, 'system', w.s.clock.now());
    const past = await w.admin.post(`/work-orders/${id}/due`, { due: '2026-11-20', reason: '延期' });
    expect(past.status).toBe(400);
    expect(past.body.message).toContain('早于今天');
    const saturday = await w.admin.post(`/work-orders/${id}/due`, { due: '2026-11-28', reason: '延期' });
    expect(saturday.status).toBe(400);
    expect(saturday.body.message).toContain('不是工作日');
    const noReason = await w.admin.post(`/work-orders/${id}/due`, { due: '2026-11-25' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toContain('调整原因');

    const ok = await w.admin.post(`/work-orders/${id}/due`, { due: '2026-11-25', reason: '系统升级，需多两天' });
    expect(ok.status).toBe(200);
    const wo = await w.s.ctx.workOrders.get(id);
    expect(wo).toMatchObject({ overdue: false, escalationStep: 0, dueProvisional: false });
    expect(wo!.dueAt!.toISOString()).toBe('2026-11-25T10:00:00.000Z'); // 18:00 Beijing, the working day's cutoff
    await w.deliver();
    const got = w.received('jt01');
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('【期限调整】');
    expect(got[0]).toContain('2026年11月25日');
    expect(got[0]).toContain('系统升级，需多两天');
    const d = (await w.admin.get(`/work-orders/${id}`)).body;
    const item = d.timeline.find((t: any) => t.type === 'work_order.due_changed');
    expect(item.label).toBe('整改期限调整');
    expect(item.summary).toContain('原因：系统升级，需多两天');
    expect(item.deliveries).toHaveLength(1);
    expect(d.overdue_working_days).toBe(0);

    // A date in the year whose arrangement is not yet published: judged by the holiday law, said so.
    const newYear = await w.admin.post(`/work-orders/${id}/due`, { due: '2027-01-01', reason: '跨年' });
    expect(newYear.status).toBe(400);
    expect(newYear.body.message).toContain('不是工作日');
    const early2027 = await w.admin.post(`/work-orders/${id}/due`, { due: '2027-01-04', reason: '跨年' });
    expect(early2027.status).toBe(200);
    expect(early2027.body.warning).toContain('2027年节假日安排尚未公布');
    expect(await w.s.ctx.workOrders.get(id)).toMatchObject({ dueProvisional: false, dueAt: new Date('2027-01-04T10:00:00Z') });
  });

  it('withdraws an order with a reason: 已撤销, the unit told, a later chat reply answered, no reminders', async () => {
    const id = await w.orderOf(JT);
    await w.notify(id, '2026-11-20T10:00:00Z');
    expect((await w.admin.post(`/work-orders/${id}/withdraw`, {})).body.message).toContain('撤销原因');
    const r = await w.admin.post(`/work-orders/${id}/withdraw`, { reason: '该账号已于 2022 年注销，通报有误' });
    expect(r.status).toBe(200);
    expect(r.body.work_order.state).toBe('withdrawn');
    const row = (await w.admin.get(`/work-orders?unit_id=${await w.unitId(JT)}`)).body.items[0];
    expect(row).toMatchObject({ state: 'withdrawn', state_label: '已撤销', overdue_working_days: 0 });
    expect((await w.admin.post(`/work-orders/${id}/withdraw`, { reason: '再撤' })).status).toBe(409);
    expect((await w.admin.post(`/work-orders/${id}/remind`, {})).status).toBe(409);
    // The overdue sweep and the queues leave it alone.
    expect(await w.s.ctx.workOrders.markOverdue(id, 'system', w.s.clock.now())).toBe(false);
    expect((await w.admin.get('/dashboard')).body.queues.overdue).toBe(0);

    // The unit answers in chat anyway.
    const a = await w.s.ctx.chat.support.actor('jt01', 424242);
    await w.s.ctx.chat.replies.submitRectification(a, (await new OrderViews(w.s.ctx.db).get(id))!, '已整改');
    await w.deliver();
    const got = w.received('jt01');
    expect(got[0]).toContain('【工单撤销】');
    expect(got[0]).toContain('通报有误');
    expect(got[1]).toMatch(/已于 .* 撤销（原因：该账号已于 2022 年注销，通报有误），无需再整改或反馈/);
    expect(Number((await w.s.ctx.db('replies').where({ work_order_id: id }).count({ n: '*' }).first())!.n)).toBe(0);
  });

  it('reassigns to another unit or a contact, telling both sides; a supervisor only within its units', async () => {
    const id = await w.orderOf(JT);
    await w.notify(id, '2026-11-24T10:00:00Z');
    const sup = await w.supervisor('sue', [JT]);
    const out = await sup.post(`/work-orders/${id}/reassign`, { unit_id: await w.unitId(GA), reason: '账号归公安局管理' });
    expect(out.status).toBe(404);
    expect(out.body.message).toContain('不在您的督办范围内');
    expect((await w.admin.post(`/work-orders/${id}/reassign`, { reason: '无' })).body.message).toContain('请选择改派到的单位或联系人');

    const r = await w.admin.post(`/work-orders/${id}/reassign`, { unit_id: await w.unitId(GA), reason: '账号归公安局管理' });
    expect(r.status).toBe(200);
    expect(r.body.work_order.unitId).toBe(await w.unitId(GA));
    await w.deliver();
    expect(w.received('ga01')[0]).toContain('【工单改派】');
    expect(w.received('ga01')[0]).toContain('严重表述错误');
    expect(w.received('jt01')[0]).toContain('无需再处理');
    // The supervisor of 交通 no longer sees it.
    expect((await sup.get(`/work-orders/${id}`)).status).toBe(404);

    // To a named contact: its unit takes the order and that contact is told.
    const sj = (await w.s.ctx.chat.contacts.byUserid('sj01'))[0];
    const r2 = await w.admin.post(`/work-orders/${id}/reassign`, { contact_id: sj.id, reason: '市场监管局牵头' });
    expect(r2.status).toBe(200);
    await w.deliver();
    expect(w.received('sj01')[0]).toContain('“咸宁市市场监督管理局”办理');
    const d = (await w.admin.get(`/work-orders/${id}`)).body;
    const moves = d.timeline.filter((t: any) => t.type === 'work_order.reassigned');
    expect(moves.map((m: any) => m.summary)).toEqual([
      '咸宁市交通运输局 → 咸宁市公安局；原因：账号归公安局管理',
      '咸宁市公安局 → 咸宁市市场监督管理局；原因：市场监管局牵头',
    ]);
    expect(moves[0].deliveries.map((x: any) => x.to).sort()).toEqual(['贾通（咸宁市交通运输局）', '郭安（咸宁市公安局）'].sort());
  });

  it('adds a note to the timeline; a supervisor out of scope cannot', async () => {
    const id = await w.orderOf(JT);
    const sup = await w.supervisor('sue', [GA]);
    expect((await sup.post(`/work-orders/${id}/notes`, { text: '电话联系过' })).status).toBe(404);
    expect((await w.admin.post(`/work-orders/${id}/notes`, { text: ' ' })).body.message).toContain('请填写备注内容');
    expect((await w.admin.post(`/work-orders/${id}/notes`, { text: '已电话联系贾通，答应周三前改好' })).status).toBe(200);
    const d = (await w.admin.get(`/work-orders/${id}`)).body;
    const note = d.timeline.find((t: any) => t.type === 'work_order.note');
    expect(note).toMatchObject({ label: '备注', summary: '已电话联系贾通，答应周三前改好', actor: { name: 'amy', unit: '管理员' }, deliveries: [] });
  });
});
