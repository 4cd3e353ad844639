/**
 * The conversation as users meet it, against the fake WeCom: the service boots in simulator
 * mode on each database, contacts and a notice are imported, and every user action goes through
 * the simulator page (signed, encrypted callbacks) while the real client delivers to the fake.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { useSimulatedChat } from '../support/sim-chat';
import { postAction } from '../../src/simulator/callback-client';
import { decideDeadline } from '../../src/domain/deadlines/deadline';
import { describeEachDb } from '../support/db';
import { waitFor } from '../support/wait';
import { createLogger } from '../../src/logger';

const FIX = path.join(__dirname, '..', 'fixtures', 'conversation');

describeEachDb('the conversation in the simulator', (get) => describe('with the service running', () => {
  const sim = useSimulatedChat(get, { tmpPrefix: 'rb-conv-', logger: createLogger(process.env.TEST_LOG ?? 'silent') });
  const { page, inbox, texts, cards, say, click, nextText } = sim;
  const order = async (code: string) => sim.svc.ctx.db('work_orders').where({ code }).first();
  const idle = async () => {
    // Every queued message sent and every callback handled.
    await waitFor('the queues to drain', async () => {
      const [o] = await sim.svc.ctx.db('outbox').whereIn('state', ['pending', 'sending']).count({ n: '*' });
      const [i] = await sim.svc.ctx.db('inbound_messages').whereIn('state', ['pending', 'processing']).count({ n: '*' });
      return Number(o.n) === 0 && Number(i.n) === 0;
    });
  };

  it('notifies, collects a reply with a screenshot, and goes through review both ways', async () => {
    const contacts = await sim.svc.ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    expect(contacts).toMatchObject({ rows: 6, contacts: 6, rejected: [] });
    const notice = await sim.svc.ctx.imports.importFile(path.join(FIX, 'notice.csv'), { docNo: '乙政办字〔2026〕7号', title: '关于2026年三季度政务新媒体检查情况的通报' });
    expect(notice.work_orders).toBe(4);
    const [c1, c2, c3, c4] = (await sim.svc.ctx.db('work_orders').orderBy('id')).map((w: any) => w.code as string);

    // Without any command, each unit contact gets its cards; the unit without a contact is reported.
    const jiaCards = await waitFor('two cards for jia01', async () => ((await cards('jia01')).length === 2 ? cards('jia01') : null));
    expect(jiaCards.map((c) => c.body.main_title.title)).toEqual([`整改通知 · 工单 ${c1}`, `整改通知 · 工单 ${c2}`]);
    const card1 = jiaCards[0];
    expect(card1.body.main_title.desc).toBe('关于2026年三季度政务新媒体检查情况的通报');
    expect(card1.body.sub_title_text).toBe('问题：多个栏目长期未更新');
    expect(card1.body.horizontal_content_list).toEqual(
      expect.arrayContaining([
        { keyname: '通报文号', value: '乙政办字〔2026〕7号' },
        { keyname: '对象', value: '甲县教育发布' },
        { keyname: '平台', value: '微信公众号' },
      ]),
    );
    expect(card1.body.button_list.map((b: any) => b.text)).toEqual(['已整改', '申请延期', '有异议', '查看详情']);
    expect(await cards('jia02')).toHaveLength(0); // the backup is not the one notified
    await waitFor('the card for yi01', async () => (await cards('yi01')).length === 1);
    const adminNote = await nextText('admin1', 0, (t) => t.includes('丙县文化和旅游局'));
    expect(adminNote).toContain(c4);
    expect(adminNote).toContain('没有可送达的主联系人');
    // notified_at is when WeCom accepted the card; the deadline counts from it.
    const w1 = await waitFor('the order notified', async () => ((await order(c1)).state === 'notified' ? order(c1) : null));
    const sent = await sim.svc.ctx.db('outbox').where({ work_order_id: w1.id, purpose: 'work_order_notice' }).first();
    expect(Number(w1.notified_at)).toBe(Number(sent.sent_at));
    const expectedDue = decideDeadline(
      { notifiedAt: new Date(Number(sent.sent_at)), categories: ['not_updated'] },
      [],
      await sim.svc.ctx.calendar.get(),
      sim.svc.ctx.deadlineSettings,
    ).due;
    expect(Number(w1.due_at)).toBe(expectedDue.getTime());
    expect(card1.body.horizontal_content_list).toContainEqual({ keyname: '整改期限', value: expect.stringMatching(/^\d{4}年\d{1,2}月\d{1,2}日（周.）\d\d:\d\d$/) });
    expect((await order(c4)).state).toBe('new');

    // 我的工单 shows the truth.
    await say('jia01', '我的工单');
    let mine = await nextText('jia01', 0, (t) => t.startsWith('本单位工单'));
    expect(mine).toContain(`${c1} 甲县教育发布（微信公众号）：待整改`);
    expect(mine).toContain(`${c2} 甲县教育（新浪微博）：待整改`);

    // jia01 clicks 已整改, sends a screenshot, then the description.
    let n = (await texts('jia01')).length;
    await click('jia01', card1.msgid, `wo:done:${w1.id}`);
    expect(await nextText('jia01', n)).toContain(`请直接回复工单 ${c1} 的整改说明`);
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    n = (await texts('jia01')).length;
    expect((await sim.http.post(page('/image'), { userid: 'jia01', name: 'shot.png', mime: 'image/png', dataBase64: png.toString('base64') })).status).toBe(200);
    expect(await nextText('jia01', n)).toBe(`截图已保存为工单 ${c1} 的整改材料（共 1 张）。请回复整改说明提交审核，或回复“已整改 ${c1} 整改说明”。`);
    n = (await texts('jia01')).length;
    await say('jia01', '已更新全部栏目内容并完成自查');
    expect(await nextText('jia01', n)).toBe(`已收到工单 ${c1} 的整改反馈，已提交督办人审核，审核结果将另行通知。`);
    await waitFor('the clicked card to show what happened', async () => (await cards('jia01')).find((c) => c.msgid === card1.msgid)?.replacedName === '已提交整改反馈');
    expect((await order(c1)).state).toBe('replied');
    const ev = await sim.svc.ctx.db('evidence').where({ work_order_id: w1.id });
    expect(ev).toHaveLength(1);
    expect(ev[0].sha256).toBe(crypto.createHash('sha256').update(png).digest('hex'));
    expect(ev[0].reply_id).not.toBeNull();
    expect(fs.existsSync(path.join(sim.dir, ev[0].storage_path))).toBe(true);

    // The supervisor of 甲县 gets the review card with the evidence count.
    const review1 = await waitFor('the review card', async () => (await cards('dubanjia')).find((c) => c.body.main_title.title.includes(c1)));
    expect(review1.body.main_title.title).toBe(`待审核 · 工单 ${c1} 整改反馈`);
    expect(review1.body.sub_title_text).toBe('整改说明：已更新全部栏目内容并完成自查');
    // In the simulator the console is this service: the evidence opens on the order's page,
    // through sign-in from WeCom (the card itself opens it too).
    const orderLink = `${sim.svc.baseUrl}/auth/wecom/start?next=${encodeURIComponent(`/work-orders/${w1.id}`)}`;
    expect(review1.body.horizontal_content_list).toContainEqual({ keyname: '截图', value: '1 张（点击查看）', type: 1, url: orderLink });
    expect(review1.body.card_action).toEqual({ type: 1, url: orderLink });
    expect(review1.body.button_list.map((b: any) => b.text)).toEqual(['通过', '退回']);
    // It shows what the unit was told to fix, and the screenshot itself follows (uploaded to WeCom).
    expect(review1.body.horizontal_content_list).toContainEqual({ keyname: '问题', value: '多个栏目长期未更新' });
    const shot = await waitFor('the screenshot to the supervisor', async () => (await inbox('dubanjia')).find((m) => m.msgtype === 'image'));
    const uploaded = sim.svc.wecom.fake!.media.get(shot.body.media_id);
    expect(uploaded?.data.equals(png)).toBe(true);
    expect(await cards('dubanyi')).toHaveLength(0); // not 乙市's supervisor

    // yi01 (one open order) answers in free text: that is its rectification reply.
    await say('yi01', '已更正表述错误');
    expect(await nextText('yi01', 0, (t) => t.startsWith('已收到'))).toContain(c3);
    const review3 = await waitFor('the review card for yi', async () => (await cards('dubanyi'))[0]);

    // 乙's supervisor approves by button; the unit is told and the order is closed.
    await click('dubanyi', review3.msgid, review3.body.button_list[0].key);
    expect(await nextText('yi01', 0, (t) => t.includes('审核通过'))).toBe(`工单 ${c3} 的整改反馈已审核通过，工单已办结。感谢配合！`);
    await waitFor('the review card updated', async () => (await cards('dubanyi'))[0].replacedName === '审核通过');
    expect((await order(c3)).state).toBe('accepted');
    await say('yi01', '我的工单');
    expect(await nextText('yi01', 0, (t) => t.startsWith('本单位工单'))).toContain(`${c3} 乙市交通（微信订阅号）：已办结`);

    // 甲's supervisor: 待审核, then 退回 by button; the bot asks for the reason.
    await say('dubanjia', '待审核');
    expect(await nextText('dubanjia', 0, (t) => t.startsWith('待审核（'))).toContain(`1. ${c1} 甲县教育局 整改反馈`);
    n = (await texts('dubanjia')).length;
    await click('dubanjia', review1.msgid, review1.body.button_list[1].key);
    expect(await nextText('dubanjia', n)).toBe(`请直接回复退回工单 ${c1} 的理由，将转告整改单位。`);
    n = (await texts('dubanjia')).length;
    await say('dubanjia', '截图未体现栏目更新，请补充');
    expect(await nextText('dubanjia', n)).toBe(`已处理：工单 ${c1} 已退回，已通知整改单位。`);
    await waitFor('the review card updated', async () => (await cards('dubanjia'))[0].replacedName === '已退回');

    // The unit sees the rejection as a new card with the reason and a new deadline.
    const back = await waitFor('the rejection card', async () => (await cards('jia01')).find((c) => c.body.main_title.title === `整改退回 · 工单 ${c1}`));
    expect(back.body.horizontal_content_list).toContainEqual({ keyname: '退回理由', value: '截图未体现栏目更新，请补充' });
    const w1b = await waitFor('the order notified again', async () => ((await order(c1)).state === 'notified' ? order(c1) : null));
    const resent = await sim.svc.ctx.db('outbox').where({ work_order_id: w1.id, purpose: 'work_order_notice' }).orderBy('id', 'desc').first();
    expect(Number(w1b.notified_at)).toBe(Number(resent.sent_at));
    n = (await texts('jia01')).length;
    await say('jia01', '我的工单');
    mine = await nextText('jia01', n);
    expect(mine).toContain(`${c1} 甲县教育发布（微信公众号）：待整改`);

    // It answers again, by command this time; with two open orders and nothing naming one, a bare
    // text lists both (code, notice number, target, problem) and asks which.
    n = (await texts('jia01')).length;
    await say('jia01', '都改好了');
    const choice = await nextText('jia01', n);
    expect(choice).toContain('可能涉及以下 2 张工单');
    expect(choice).toContain(`1. ${c1}｜乙政办字〔2026〕7号｜甲县教育发布（微信公众号）｜多个栏目长期未更新`);
    n = (await texts('jia01')).length;
    await say('jia01', '0');
    expect(await nextText('jia01', n)).toBe('好的，已取消。');
    n = (await texts('jia01')).length;
    await say('jia01', `已整改 ${c1} 已逐一补充更新栏目，附自查记录`);
    expect(await nextText('jia01', n)).toBe(`已收到工单 ${c1} 的整改反馈，已提交督办人审核，审核结果将另行通知。`);
    await say('jia01', '我的工单');
    await waitFor('my orders after the second reply', async () =>
      (await texts('jia01')).some((t) => t.startsWith('本单位工单') && t.includes(`${c1} 甲县教育发布（微信公众号）：待审核`) && t.includes(`${c2} 甲县教育（新浪微博）：待整改`)),
    );
    const second = await waitFor('a second review card', async () => (await cards('dubanjia')).filter((c) => c.body.main_title.title.includes(c1))[1]);
    expect(second.body.sub_title_text).toBe('整改说明：已逐一补充更新栏目，附自查记录');

    // An unknown user gets the 未绑定 reply and the admins are told.
    await say('stranger9', '请问怎么整改');
    expect(await nextText('stranger9', 0)).toContain('尚未绑定整改督办联系人');
    expect(await nextText('admin1', 0, (t) => t.includes('stranger9'))).toContain('请问怎么整改');

    // Who did what is in the event log.
    const events = await sim.svc.ctx.events.list({ workOrderId: w1.id });
    const types = events.filter((e) => !e.type.startsWith('message.')).map((e) => `${e.type}:${e.actor}`);
    expect(types).toEqual([
      'work_order.created:cli',
      'work_order.notify:system',
      'work_order.evidence_added:wecom:jia01',
      'work_order.reply:wecom:jia01',
      'work_order.reject:wecom:dubanjia',
      'work_order.notify:system',
      'work_order.reply:wecom:jia01',
    ]);
    expect(events.filter((e) => e.type === 'message.out.sent').length).toBeGreaterThanOrEqual(6);
    expect(events.find((e) => e.type === 'work_order.reject')!.data).toMatchObject({ reason: '截图未体现栏目更新，请补充' });
    expect((await sim.svc.ctx.events.list({ workOrderId: (await order(c3)).id })).map((e) => e.type)).toContain('work_order.accept');
    // Once the sender has nothing left in hand (follow-up texts may still be on their way), every
    // message recorded sent has its event.
    await waitFor('the outbox to settle', async () => Number((await sim.svc.ctx.db('outbox').whereIn('state', ['pending', 'sending']).count({ n: '*' }))[0].n) === 0);
    const outEvents = await sim.svc.ctx.events.list({ type: 'message.out.sent' });
    expect(outEvents.length).toBe(Number((await sim.svc.ctx.db('outbox').where({ state: 'sent' }).count({ n: '*' }))[0].n));
  }, 60_000);

  it('handles extension requests, disputes, screenshots before and during review, and the supervisor lists', async () => {
    await sim.svc.ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    await sim.svc.ctx.imports.importFile(path.join(FIX, 'notice.csv'), { docNo: 'D-2' });
    const [c1, c2, c3] = (await sim.svc.ctx.db('work_orders').orderBy('id')).map((w: any) => w.code as string);
    const jiaCards = await waitFor('two cards for jia01', async () => ((await cards('jia01')).length === 2 ? cards('jia01') : null));
    await waitFor('orders notified', async () => (await sim.svc.ctx.db('work_orders').where({ state: 'notified' })).length === 3);
    const w1 = await order(c1);

    // 申请延期 by button: the bot asks, the answer names a date; the supervisor grants it by button.
    let n = (await texts('jia01')).length;
    await click('jia01', jiaCards[0].msgid, `wo:ext:${w1.id}`);
    expect(await nextText('jia01', n)).toContain(`请直接回复工单 ${c1} 的延期理由`);
    const wanted = new Date(Date.now() + 20 * 86400_000).toISOString().slice(0, 10);
    n = (await texts('jia01')).length;
    await say('jia01', `需协调技术公司改版，申请延至 ${wanted}`);
    expect(await nextText('jia01', n)).toBe(`已收到工单 ${c1} 的延期申请，已提交督办人审核。`);
    await waitFor('the card shows the request', async () => (await cards('jia01'))[0].replacedName === '已申请延期');
    const ext = await waitFor('the extension card', async () => (await cards('dubanjia')).find((c) => c.body.main_title.title === `待审核 · 工单 ${c1} 延期申请`));
    expect(ext.body.horizontal_content_list).toContainEqual({ keyname: '申请延至', value: wanted });
    expect(ext.body.button_list.map((b: any) => b.text)).toEqual(['同意延期', '不同意']);
    await click('dubanjia', ext.msgid, ext.body.button_list[0].key);
    expect(await nextText('jia01', 0, (t) => t.includes('延期申请已同意'))).toMatch(new RegExp(`^工单 ${c1} 的延期申请已同意，整改期限延至 \\d{4}年`));
    const extended = await order(c1);
    expect(extended.state).toBe('notified');
    expect(new Date(Number(extended.due_at)).toISOString().slice(0, 10)).toBe(wanted);
    expect((await sim.svc.ctx.events.list({ workOrderId: w1.id, type: 'work_order.due_changed' }))[0].actor).toBe('wecom:dubanjia');

    // A dispute by command, refused by command with a reason; a second one upheld: the order is withdrawn.
    n = (await texts('jia01')).length;
    await say('jia01', `有异议 ${c2} 该微博账号已于上月注销`);
    expect(await nextText('jia01', n)).toBe(`已收到您对工单 ${c2} 的异议，已提交督办人审核。`);
    n = (await texts('dubanjia')).length;
    await say('dubanjia', `异议不成立 ${c2} 检查时账号仍可访问`);
    expect(await nextText('dubanjia', n)).toBe(`已处理：工单 ${c2} 异议不成立，已通知整改单位。`);
    expect(await nextText('jia01', 0, (t) => t.includes('未被采纳'))).toContain('理由：检查时账号仍可访问');
    n = (await texts('jia01')).length;
    await say('jia01', `有异议 ${c2} 已提供注销证明`);
    await nextText('jia01', n);
    n = (await texts('dubanjia')).length;
    await say('dubanjia', `异议成立 ${c2}`);
    expect(await nextText('dubanjia', n)).toBe(`已处理：工单 ${c2} 异议成立，工单撤销，已通知整改单位。`);
    expect((await order(c2)).state).toBe('superseded');

    // Nobody acts on another unit's order, nor reviews outside their units.
    n = (await texts('yi01')).length;
    await say('yi01', `已整改 ${c1} 已改`);
    expect(await nextText('yi01', n)).toBe(`工单 ${c1} 不属于您负责的单位，无法办理。`);
    n = (await texts('dubanyi')).length;
    await say('dubanyi', `工单 ${c1}`);
    expect(await nextText('dubanyi', n)).toBe(`工单 ${c1} 不属于您负责的单位，无法办理。`);
    n = (await texts('jia01')).length;
    await say('jia01', '待审核');
    expect(await nextText('jia01', n)).toBe('该指令仅供督办人使用。发送“帮助”可查看可用指令。');

    // The supervisor's lists and the order's detail with its history.
    n = (await texts('dubanjia')).length;
    await say('dubanjia', `工单 ${c1}`);
    const detail = await nextText('dubanjia', n);
    expect(detail).toContain(`工单 ${c1}`);
    expect(detail).toContain('状态：待整改');
    expect(detail).toContain('延期申请：需协调技术公司改版');
    n = (await texts('dubanjia')).length;
    await say('dubanjia', '逾期');
    expect(await nextText('dubanjia', n)).toBe('目前没有逾期未整改的工单。');
    await sim.svc.ctx.db('work_orders').where({ id: w1.id }).update({ due_at: Date.now() - 60_000 });
    n = (await texts('dubanjia')).length;
    await say('dubanjia', '逾期');
    expect(await nextText('dubanjia', n)).toContain(`1. ${c1} 甲县教育局 甲县教育发布：待整改`);
    n = (await texts('dubanjia')).length;
    await say('dubanjia', '帮助');
    expect(await nextText('dubanjia', n)).toContain('督办指令');

    // yi01 has one order: a screenshot goes straight to it; the reply then takes it along.
    n = (await texts('yi01')).length;
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000020000000208060000', 'hex');
    await sim.http.post(page('/image'), { userid: 'yi01', name: 'a.png', mime: 'image/png', dataBase64: png.toString('base64') });
    expect(await nextText('yi01', n)).toBe(`截图已保存为工单 ${c3} 的整改材料（共 1 张）。请回复整改说明提交审核，或回复“已整改 ${c3} 整改说明”。`);
    n = (await texts('yi01')).length;
    await say('yi01', '已更正');
    await nextText('yi01', n);
    const rv = await waitFor('the review card', async () => (await cards('dubanyi'))[0]);
    expect(rv.body.horizontal_content_list).toContainEqual(expect.objectContaining({ keyname: '截图', value: '1 张（点击查看）', type: 1 }));
    // A later screenshot joins the reply under review, and the supervisor is told.
    n = (await texts('yi01')).length;
    await sim.http.post(page('/image'), { userid: 'yi01', name: 'b.png', mime: 'image/png', dataBase64: Buffer.concat([png, Buffer.from([1])]).toString('base64') });
    expect(await nextText('yi01', n)).toBe(`截图已保存为工单 ${c3} 的整改材料（共 2 张）。已转交督办人一并审核。`);
    expect(await nextText('dubanyi', 0, (t) => t.startsWith('【补充材料】'))).toContain('现共 2 张');
  }, 60_000);

  it('never replies or transitions twice for a duplicate callback', async () => {
    await sim.svc.ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    await sim.svc.ctx.imports.importFile(path.join(FIX, 'notice.csv'), { docNo: 'D-1' });
    const card = await waitFor('the card for yi01', async () => (await cards('yi01'))[0]);
    await idle();
    const creds = sim.svc.wecom.credentials;
    const url = `${sim.svc.baseUrl}/wecom/callback`;
    const t = Math.floor(Date.now() / 1000);
    const text = { fromUserid: 'yi01', kind: 'text' as const, content: '已更正', msgId: '7000000000000000001', createTimeS: t };
    expect(await postAction(url, creds, text)).toBe(200);
    expect(await postAction(url, creds, text)).toBe(200); // WeCom's retry of the same message
    await idle();
    const click = { fromUserid: 'yi01', kind: 'card_click' as const, eventKey: card.body.button_list[0].key, taskId: card.body.task_id, responseCode: card.responseCode, createTimeS: t + 1 };
    expect(await postAction(url, creds, click)).toBe(200);
    expect(await postAction(url, creds, click)).toBe(200);
    await idle();
    expect(await sim.svc.ctx.inbound.count()).toBe(2);
    const replies = await sim.svc.ctx.db('outbox').where({ touser: 'yi01', purpose: 'reply' });
    expect(replies).toHaveLength(2); // one answer to the text, one to the click (already replied)
    const w = await sim.svc.ctx.db('work_orders').where({ unit_id: (await sim.svc.ctx.db('units').where({ name: '乙市交通运输局' }).first()).id }).first();
    expect(w.state).toBe('replied');
    expect((await sim.svc.ctx.events.list({ workOrderId: w.id, type: 'work_order.reply' }))).toHaveLength(1);
    expect(await sim.svc.ctx.db('replies').where({ work_order_id: w.id })).toHaveLength(1);
    // The press on the stale card gets a plain sentence.
    expect((await texts('yi01')).at(-1)).toBe(`工单 ${w.code} 已提交整改反馈，正在审核，这张卡片上的按钮已失效，无需再点。`);
  }, 30_000);
}));
