/**
 * 转工单 in the chat, against the fake WeCom: the service boots in simulator mode, an admin
 * forwards platform messages, confirms the cards, corrects a draft; the unit is notified.
 */
import fs from 'node:fs';
import path from 'node:path';
import { useSimulatedChat } from '../support/sim-chat';
import { waitFor as waitForEvery } from '../support/wait';
import { describeEachDb } from '../support/db';

const CONV = path.join(__dirname, '..', 'fixtures', 'conversation');
const FIX = path.join(__dirname, '..', 'fixtures', 'monitoring');

const waitFor = <T>(what: string, probe: () => Promise<T | null | undefined | false>) => waitForEvery(what, probe, 15_000, 40);

describeEachDb('转工单 in the simulator', (get) => describe('with the service running', () => {
  const sim = useSimulatedChat(get, { tmpPrefix: 'rb-mo-', wait: waitFor, setup: (svc) => svc.ctx.chat.contacts.importFile(path.join(CONV, 'contacts.csv')) });
  const { texts, cards, say, click, nextText } = sim;
  const field = (card: any, key: string) => card.body.horizontal_content_list.find((f: any) => f.keyname === key)?.value;

  it('turns forwarded platform messages into cards, creates the confirmed ones once, and notifies the unit', async () => {
    const pasted = fs.readFileSync(path.join(FIX, 'pasted-three.txt'), 'utf8');
    await say('admin1', `转工单\n${pasted}`);
    const drafts = await waitFor('three draft cards', async () => ((await cards('admin1')).length === 3 ? cards('admin1') : null));
    expect(drafts.map((c) => c.body.main_title.title)).toEqual(['监测工单待确认（1/3）', '监测工单待确认（2/3）', '监测工单待确认（3/3）']);
    expect(drafts.map((c) => field(c, '工单号'))).toEqual(['GDZW-20261127-0153', 'GDZW-20261127-0160', 'SJC2026-1128-07']);
    expect(field(drafts[0], '单位')).toBe('甲县教育局');
    expect(field(drafts[0], '对象')).toBe('甲县教育发布');
    // Received Friday 27 November 15:32: due Monday at the cutoff.
    expect(field(drafts[0], '接收时间')).toBe('2026年11月27日（周五）15:32');
    expect(field(drafts[0], '办理时限')).toBe('2026年11月30日（周一）18:00');
    expect(drafts[0].body.main_title.desc).toBe('来源：省监管平台');
    // The third names no unit and its account is not known yet: the card says what is missing.
    expect(drafts[2].body.sub_title_text).toContain('请填写单位');
    expect(field(drafts[2], '办理时限')).toBe('2026年12月1日（周二）17:00'); // stated in the message

    // Confirm the first: the order exists, the admin is told, the unit contact gets its card.
    let n = (await texts('admin1')).length;
    await click('admin1', drafts[0].msgid, drafts[0].body.button_list[0].key);
    const done = await nextText('admin1', n, (t) => t.startsWith('已新建工单'));
    const wo = await sim.svc.ctx.db('work_orders').where({ external_no: 'GDZW-20261127-0153' }).first();
    expect(done).toBe(`已新建工单 ${wo.code}：甲县教育局 · 甲县教育发布，办理时限 2026年11月30日（周一）18:00。单位联系人将收到通知。`);
    expect(wo).toMatchObject({ source: '省监管平台', external_url: 'https://jg.example.gov.cn/wo/GDZW-20261127-0153' });
    const unitCard = await waitFor('the unit card', async () => (await cards('jia01')).find((c) => c.body.main_title.title.includes(wo.code)));
    expect(field(unitCard, '通报文号')).toBe('GDZW-20261127-0153');
    // Notified now, the deadline still counts from receipt.
    expect(field(unitCard, '整改期限')).toBe('2026年11月30日（周一）18:00');
    await waitFor('the order notified', async () => (await sim.svc.ctx.db('work_orders').where({ id: wo.id }).first()).state === 'notified');
    expect(Number((await sim.svc.ctx.db('work_orders').where({ id: wo.id }).first()).due_at)).toBe(Date.parse('2026-11-30T10:00:00Z'));
    await waitFor('the clicked card marked', async () => (await cards('admin1')).find((c) => c.msgid === drafts[0].msgid)?.replacedName === `已建单 ${wo.code}`);

    // The third: confirming without a unit is refused; 更正 fixes it and sends the card again.
    n = (await texts('admin1')).length;
    await click('admin1', drafts[2].msgid, drafts[2].body.button_list[0].key);
    expect(await nextText('admin1', n)).toMatch(/^未能建单：请填写单位/);
    n = (await texts('admin1')).length;
    await say('admin1', '更正 单位：甲县文化和旅游局');
    expect(await nextText('admin1', n)).toBe('已更正：单位。请核对后确认：');
    const corrected = await waitFor('the corrected card', async () => ((await cards('admin1')).length === 4 ? (await cards('admin1'))[3] : null));
    expect(field(corrected, '单位')).toBe('甲县文化和旅游局');
    n = (await texts('admin1')).length;
    await click('admin1', corrected.msgid, corrected.body.button_list[0].key);
    expect(await nextText('admin1', n, (t) => t.startsWith('已新建工单'))).toContain('甲县文化和旅游局 · 甲县文旅');

    // Forwarding the first message again (another day) finds the order already there.
    const first = pasted.split('\n\n')[0];
    await say('admin1', `${first}\n转工单`);
    const again = await waitFor('a fourth draft card', async () => ((await cards('admin1')).length === 5 ? (await cards('admin1'))[4] : null));
    expect(again.body.main_title.desc).toBe(`来源：省监管平台（已录入为 ${wo.code}）`);
    n = (await texts('admin1')).length;
    await click('admin1', again.msgid, again.body.button_list[0].key);
    expect(await nextText('admin1', n, (t) => t.startsWith('该平台工单'))).toBe(`该平台工单已录入过（工单 ${wo.code}：甲县教育局 · 甲县教育发布），未重复新建。`);
    const [{ n: orders }] = await sim.svc.ctx.db('work_orders').count({ n: '*' });
    expect(Number(orders)).toBe(2);
  });

  it('offers an order-like text from an admin, and refuses 转工单 from anyone else', async () => {
    const table = fs.readFileSync(path.join(FIX, 'pasted-table.txt'), 'utf8');
    await say('admin1', table);
    expect(await nextText('admin1', 0)).toBe('这条消息像是监测工单，已识别出 2 条，请确认是否建单：');
    const offered = await waitFor('two cards', async () => ((await cards('admin1')).length === 2 ? cards('admin1') : null));
    expect(offered.map((c) => field(c, '对象'))).toEqual(['丙镇发布', '丙镇发布']);
    expect(offered.map((c) => field(c, '办理时限'))).toEqual(['2026年11月25日（周三）18:00', '2026年11月25日（周三）18:00']);
    await nextText('admin1', 0, (t) => t.startsWith('如有不对'));
    const n = (await texts('admin1')).length;
    await click('admin1', offered[1].msgid, offered[1].body.button_list[1].key);
    expect(await nextText('admin1', n)).toBe('已取消，未建工单。');
    const [{ n: orders }] = await sim.svc.ctx.db('work_orders').count({ n: '*' });
    expect(Number(orders)).toBe(0);

    await say('jia01', `转工单\n${table}`);
    expect(await nextText('jia01', 0)).toBe('只有管理员可以转工单。');
    expect(await cards('jia01')).toHaveLength(0);
  });
}));
