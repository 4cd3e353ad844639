/**
 * Notification without a command: cards per order and recipient, a summary for a unit with
 * several orders, admins told about a unit without contacts (once), the order notified and
 * due from the instant WeCom accepted the card, text when cards are off or refused.
 */
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { KnexContactDirectory } from '../../src/domain/outbox/contacts';
import { OutboxSender } from '../../src/wecom/outbox-sender';
import { silentLogger } from '../../src/logger';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';
import { makeClient, startFake, type RunningFake } from '../wecom/support';

const FIX = path.join(__dirname, '..', 'fixtures', 'conversation');

describeEachDb('notification', (get) => {
  let fake: RunningFake;
  let ctx: AppContext;
  let clock: ManualClock;
  let sender: OutboxSender;

  const setup = async (env: Record<string, string> = {}) => {
    // Thursday 26 November 2026, 23:50 in Beijing.
    clock = new ManualClock('2026-11-26T15:50:00Z');
    ctx = await createContext(testConfig(env), { db: get().db, migrate: false, clock, logger: silentLogger });
    fake = await startFake({ clock });
    const { client } = makeClient(fake.url, clock);
    sender = new OutboxSender(ctx.outbox, client, ctx.events, new KnexContactDirectory(ctx.db), clock, silentLogger);
    sender.listeners.push({
      onSent: (row) => ctx.chat.notifications.onDelivered(row),
      onFailed: (row, e) => ctx.chat.notifications.onFailed(row, e),
    });
    await ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
  };
  afterEach(async () => {
    await fake?.close();
  });

  const sentTo = (userid: string) => fake.fake.messagesFor(userid);

  it('sends each order once per recipient, a summary for several, and reports a unit without contacts once', async () => {
    await setup();
    // Three orders for 甲县教育局 in one notice: a summary too.
    const more = path.join(FIX, 'notice.csv');
    await ctx.imports.importFile(more, { docNo: 'N-1', title: '通报一' });
    await ctx.db('work_orders').insert(
      await (async () => {
        const w = await ctx.db('work_orders').orderBy('id').first();
        const t = await ctx.db('targets').insert({ kind: 'newmedia', name: '甲县教育头条', normalized_name: '甲县教育头条', platform: '今日头条', unit_id: w.unit_id, identity: 'x:1', created_at: 0 }).returning('id');
        return { code: '2026-9999', notice_id: w.notice_id, target_id: Number(t[0].id ?? t[0]), unit_id: w.unit_id, state: 'new', created_at: 0, updated_at: 0 };
      })(),
    );
    const first = await ctx.chat.notifications.notifyPending();
    expect(first).toEqual({ cards: 4, summaries: 1, units_without_contact: 1 });
    expect(await ctx.chat.notifications.notifyPending()).toEqual({ cards: 0, summaries: 0, units_without_contact: 0 });
    await sender.runOnce();
    const jia = sentTo('jia01');
    expect(jia.map((m) => m.msgtype)).toEqual(['text', 'template_card', 'template_card', 'template_card']);
    expect((jia[0].body as any).content).toContain('涉及贵单位 3 张工单');
    expect((jia[0].body as any).content).toContain('2026-9999');
    expect(sentTo('yi01')).toHaveLength(1);
    const admin = sentTo('admin1');
    expect(admin).toHaveLength(1);
    expect((admin[0].body as any).content).toContain('丙县文化和旅游局');
    expect(await ctx.events.list({ type: 'unit.no_contact' })).toHaveLength(1);
    // Still nothing twice on later runs.
    await ctx.chat.notifications.notifyPending();
    await sender.runOnce();
    expect(fake.fake.messages).toHaveLength(6);
    const states = (await ctx.db('work_orders').orderBy('id')).map((w: any) => w.state);
    expect(states).toEqual(['notified', 'notified', 'notified', 'new', 'notified']);
  });

  it('counts the deadline from the instant WeCom accepted the card, and corrects the card when that moved it', async () => {
    await setup();
    await ctx.imports.importFile(path.join(FIX, 'notice.csv'), { docNo: 'N-2' });
    await ctx.chat.notifications.notifyPending();
    const card = (await ctx.db('outbox').where({ touser: 'yi01' }).first()).payload;
    // Queued on Thursday night: due Friday 18:00.
    expect(JSON.parse(card).template_card.horizontal_content_list).toContainEqual({ keyname: '整改期限', value: '2026年11月27日（周五）18:00' });
    clock.set('2026-11-26T16:20:00Z'); // sent after midnight: Friday
    await sender.runOnce();
    const w = await ctx.db('work_orders').where({ code: (await ctx.db('work_orders').orderBy('id').offset(2).first()).code }).first();
    expect(w.state).toBe('notified');
    expect(Number(w.notified_at)).toBe(Date.parse('2026-11-26T16:20:00Z'));
    expect(new Date(Number(w.due_at)).toISOString()).toBe('2026-11-30T10:00:00.000Z'); // Monday 18:00
    await sender.runOnce();
    const texts = sentTo('yi01').filter((m) => m.msgtype === 'text').map((m) => (m.body as any).content);
    expect(texts).toEqual([`工单 ${w.code} 的整改期限以送达时间起算，为 2026年11月30日（周一）18:00，请以此为准。`]);
  });

  it('sends text when cards are off', async () => {
    await setup({ WECOM_CARDS: 'false' });
    await ctx.imports.importFile(path.join(FIX, 'notice.csv'), { docNo: 'N-3' });
    await ctx.chat.notifications.notifyPending();
    await sender.runOnce();
    const [m] = sentTo('yi01');
    expect(m.msgtype).toBe('text');
    const code = (await ctx.db('work_orders').orderBy('id').offset(2).first()).code;
    expect((m.body as any).content).toContain(`【整改通知】工单 ${code}`);
    expect((m.body as any).content).toContain(`已整改 ${code} 整改说明`);
  });

  it('falls back to text when the card is refused as a message type', async () => {
    await setup();
    await ctx.imports.importFile(path.join(FIX, 'notice.csv'), { docNo: 'N-4' });
    await ctx.chat.notifications.notifyPending();
    fake.fake.inject({ path: 'message/send', errcode: 40008, times: 1 });
    await sender.runOnce();
    await sender.runOnce();
    const kinds = [...sentTo('jia01'), ...sentTo('yi01')].map((m) => m.msgtype).sort();
    expect(kinds).toEqual(['template_card', 'template_card', 'text']);
    const w = await ctx.db('work_orders').whereIn('state', ['notified']);
    expect(w).toHaveLength(3);
  });
  it('sends a rejected order back once, with a deadline no earlier than the one it had', async () => {
    await setup();
    await ctx.imports.importFile(path.join(FIX, 'notice.csv'), { docNo: 'N-5', reportDueOn: '2026-12-10' });
    await ctx.chat.notifications.notifyPending();
    await sender.runOnce();
    const w = await ctx.db('work_orders').orderBy('id').offset(2).first();
    expect(new Date(Number(w.due_at)).toISOString()).toBe('2026-12-10T10:00:00.000Z'); // the notice's report date
    // Replied, then rejected by the supervisor (the state machine's way, as the review does).
    await ctx.db('replies').insert({ work_order_id: w.id, kind: 'rectified', text: 'x', review_state: 'rejected', review_comment: '未整改到位', created_at: 0 });
    await ctx.workOrders.transition(w.id, 'reply', { actor: 'test', at: clock.now() });
    await ctx.workOrders.transition(w.id, 'reject', { actor: 'test', at: clock.now() });
    expect(await ctx.chat.notifications.notifyPending()).toMatchObject({ cards: 1 });
    expect(await ctx.chat.notifications.notifyPending()).toMatchObject({ cards: 0 });
    await sender.runOnce();
    const again = await ctx.db('work_orders').where({ id: w.id }).first();
    expect(again.state).toBe('notified');
    // One working day from Friday would be Monday 30 November: the old deadline (10 December) stands.
    expect(new Date(Number(again.due_at)).toISOString()).toBe('2026-12-10T10:00:00.000Z');
    const back = sentTo('yi01').filter((m) => m.msgtype === 'template_card')[1].body as any;
    expect(back.main_title.title).toBe(`整改退回 · 工单 ${w.code}`);
    expect(back.horizontal_content_list).toContainEqual({ keyname: '退回理由', value: '未整改到位' });
  });
});
