/**
 * Replies as people write them, through the fake WeCom: each intent, the date asked for, which
 * order a reply is about (by target, platform, problem, or a choice among candidates), the
 * ask-back when unsure, stale cards, and 同意延期 without a date.
 */
import path from 'node:path';
import { DateTime } from 'luxon';
import { useSimulatedChat } from '../support/sim-chat';
import { waitFor as waitForEvery } from '../support/wait';
import { postAction } from '../../src/simulator/callback-client';
import { describeEachDb } from '../support/db';

const FIX = path.join(__dirname, '..', 'fixtures', 'conversation');

const waitFor = <T>(what: string, probe: () => Promise<T | null | undefined | false>) => waitForEvery(what, probe, 15_000, 40);

describeEachDb('replies understood as people write them', (get) => describe('with the service running', () => {
  const sim = useSimulatedChat(get, { tmpPrefix: 'rb-und-', wait: waitFor });
  const { page, texts, cards, click } = sim;
  /** Sends a text and returns the bot's next text to the sender. */
  const ask = async (userid: string, content: string, test: (t: string) => boolean = () => true) => {
    const n = (await texts(userid)).length;
    expect((await sim.http.post(page('/text'), { userid, content })).status).toBe(200);
    return waitFor(`an answer to “${content}”`, async () => (await texts(userid)).slice(n).find(test));
  };
  const order = async (code: string) => sim.svc.ctx.db('work_orders').where({ code }).first();
  const today = () => DateTime.now().setZone(sim.svc.ctx.deadlineSettings.zone);

  it('reads each intent, finds the order, asks back when unsure, and never sends a non-reply to review', async () => {
    await sim.svc.ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    await sim.svc.ctx.imports.importFile(path.join(FIX, 'notice-several.csv'), { docNo: '甲政办函〔2026〕12号', title: '关于2026年四季度政务新媒体检查情况的通报' });
    const [c1, c2, c3, c4] = (await sim.svc.ctx.db('work_orders').orderBy('id')).map((w: any) => w.code as string);
    const noticeCards = await waitFor('three cards for jia01', async () => ((await cards('jia01')).length === 3 ? cards('jia01') : null));
    await waitFor('orders notified', async () => (await sim.svc.ctx.db('work_orders').where({ state: 'notified' })).length === 4);
    const states = async () => (await sim.svc.ctx.db('work_orders').orderBy('id')).map((w: any) => w.state as string);

    // ack, progress, question, help, my_orders: answered, nothing goes to review.
    expect(await ask('jia01', '收到！')).toContain('整改完成后，直接回复整改情况');
    expect(await ask('jia01', '好的，马上改')).toBe('好的。改好后回复整改情况并附截图，即提交审核。');
    const until = today().plus({ days: 1 });
    expect(await ask('jia01', '教育发布那个正在整改，预计明天完成')).toBe(
      `好的，工单 ${c1} 仍在整改中，预计 ${until.year}年${until.month}月${until.day}日 完成。改好后回复整改情况并附截图，即提交审核。`,
    );
    expect((await sim.svc.ctx.events.list({ workOrderId: (await order(c1)).id, type: 'work_order.progress_reported' }))[0].data).toMatchObject({ until: until.toISODate() });
    expect(await ask('jia01', '请问微博那个留言具体是哪几条？')).toBe('您的问题已转给督办人，请留意答复。');
    expect(await waitFor('the question forwarded', async () => (await texts('dubanjia')).find((t) => t.startsWith('【单位提问】')))).toBe(
      `【单位提问】甲县教育局（张丽）就工单 ${c2} 提问：请问微博那个留言具体是哪几条？`,
    );
    expect(await ask('jia01', '这个机器人怎么用')).toContain('可用指令');
    expect(await ask('jia01', '我还有哪些没整改的')).toContain(`${c3} 甲县教育云课堂（抖音）：待整改`);
    expect(await ask('jia01', '在吗')).toBe('没太明白您的意思。发送“帮助”可查看可以怎么回复。');
    expect(await states()).toEqual(['notified', 'notified', 'notified', 'notified']);
    expect(await sim.svc.ctx.db('replies')).toHaveLength(0);

    // extension by platform, with the date as written (下周五 → next week's Friday).
    expect(await ask('jia01', '抖音号栏目内容较多，申请延期到下周五')).toBe(`已收到工单 ${c3} 的延期申请，已提交督办人审核。`);
    const monday = today().startOf('week');
    const friday = monday.plus({ days: 11 }).toISODate();
    const ext = await waitFor('the extension card', async () => (await cards('dubanjia')).find((c) => c.body.main_title.title.includes(`${c3} 延期申请`)));
    expect(ext.body.horizontal_content_list).toContainEqual({ keyname: '申请延至', value: friday });

    // dispute by problem (错别字 → the wording error).
    expect(await ask('jia01', '错别字的那个我们有异议，文章原文写的就是“民族”')).toBe(`已收到您对工单 ${c1} 的异议，已提交督办人审核。`);

    // done without naming an order: the candidates, each a button with its notice number; a press submits.
    const choice = await ask('jia01', '都改好了，请审核');
    expect(choice).toContain('可能涉及以下 3 张工单');
    expect(choice).toContain(`${c2}｜甲政办函〔2026〕12号｜甲县教育（新浪微博）｜超过2个月未回应有效留言`);
    const pick = await waitFor('the candidates card', async () => (await cards('jia01')).find((c) => c.body.main_title.title === '请选择工单'));
    expect(pick.body.button_list.map((b: any) => b.text)).toEqual([c1, c2, c3]);
    let n = (await texts('jia01')).length;
    await click('jia01', pick.msgid, pick.body.button_list[1].key);
    expect(await waitFor('the submission', async () => (await texts('jia01')).slice(n)[0])).toBe(`已收到工单 ${c2} 的整改反馈，已提交督办人审核，审核结果将另行通知。`);
    expect((await order(c2)).state).toBe('replied');
    // The order's earlier card is updated, and a press on it gets a plain sentence.
    const card2 = noticeCards.find((c) => c.body.main_title.title.includes(c2))!;
    await waitFor('the stale card updated', async () => (await cards('jia01')).find((c) => c.msgid === card2.msgid)?.replacedName === '已提交整改，待审核');
    // The simulator no longer offers the buttons; a press sent before the update arrives late:
    n = (await texts('jia01')).length;
    const late = { fromUserid: 'jia01', kind: 'card_click' as const, eventKey: card2.body.button_list[0].key, taskId: card2.body.task_id, responseCode: card2.responseCode, createTimeS: Math.floor(Date.now() / 1000) };
    expect(await postAction(`${sim.svc.baseUrl}/wecom/callback`, sim.svc.wecom.credentials, late)).toBe(200);
    expect(await waitFor('the stale answer', async () => (await texts('jia01')).slice(n)[0])).toBe(
      `工单 ${c2} 已提交整改反馈，正在审核，这张卡片上的按钮已失效，无需再点。`,
    );

    // Unsure (a bare “请审核” next to nothing done): asked back with buttons, nothing submitted until chosen.
    const askBack = await (async () => {
      const before = (await cards('jia01')).length;
      await sim.http.post(page('/text'), { userid: 'jia01', content: '麻烦审核一下，截图见附件' });
      return waitFor('the ask-back card', async () => (await cards('jia01')).slice(before).find((c) => c.body.main_title.title.startsWith('您是要')));
    })();
    expect(askBack.body.main_title.title).toBe('您是要：提交整改 / 申请延期 / 提出异议');
    expect(askBack.body.button_list.map((b: any) => b.text)).toEqual(['提交整改', '申请延期', '提出异议']);
    expect(await states()).toEqual(['notified', 'replied', 'notified', 'notified']);
    n = (await texts('jia01')).length;
    await click('jia01', askBack.msgid, askBack.body.button_list[0].key);
    // Two orders still open: which one?
    expect(await waitFor('the choice', async () => (await texts('jia01')).slice(n)[0])).toContain('可能涉及以下 2 张工单');
    expect(await ask('jia01', '2')).toBe(`已收到工单 ${c3} 的整改反馈，已提交督办人审核，审核结果将另行通知。`);
    expect(await states()).toEqual(['notified', 'replied', 'replied', 'notified']);

    // A rejection with a long reason: the card cuts it, so the full reason follows as its own message.
    const reason = '截图只显示了首页，未体现后台设置页面，请补充后台设置页面和历史消息页面的截图，并说明留言回复的时间。';
    const rv2 = await waitFor('the review card of c2', async () => (await cards('dubanjia')).find((c) => c.body.main_title.title === `待审核 · 工单 ${c2} 整改反馈`));
    await click('dubanjia', rv2.msgid, rv2.body.button_list[1].key);
    await waitFor('the reason asked', async () => (await texts('dubanjia')).some((t) => t.includes(`退回工单 ${c2} 的理由`)));
    expect(await ask('dubanjia', reason)).toBe(`已处理：工单 ${c2} 已退回，已通知整改单位。`);
    const back = await waitFor('the rejection card', async () => (await cards('jia01')).find((c) => c.body.main_title.title === `整改退回 · 工单 ${c2}`));
    expect(back.body.horizontal_content_list.find((f: any) => f.keyname === '退回理由').value).toMatch(/…$/);
    expect(await waitFor('the full reason', async () => (await texts('jia01')).find((t) => t.includes('退回理由（全文）')))).toBe(`工单 ${c2} 的退回理由（全文）：${reason}`);

    // 同意延期 without a date: the unit asked for none, so the supervisor is asked plainly.
    expect(await ask('yi01', '来不及了，申请宽限几天')).toBe(`已收到工单 ${c4} 的延期申请，已提交督办人审核。`);
    const noDate = await waitFor('the card', async () => (await cards('dubanyi')).find((c) => c.body.main_title.title.includes(`${c4} 延期申请`)));
    expect(noDate.body.horizontal_content_list).toContainEqual({ keyname: '申请延至', value: '未注明' });
    expect(await ask('dubanyi', `同意延期 ${c4}`)).toMatch(new RegExp(`^请回复工单 ${c4} 新的期限，如“\\d{1,2}月\\d{1,2}日”。$`));
    expect(await ask('dubanyi', '下个月5号')).toBe(`已处理：工单 ${c4} 同意延期至 ${today().plus({ months: 1 }).set({ day: 5 }).toISODate()}，已通知整改单位。`);
  }, 90_000);
}));
