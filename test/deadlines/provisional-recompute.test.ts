/**
 * An order notified with a provisional deadline (counted over the year after the last year with
 * data) is marked so in its card, in the API and in the store; loading that year's arrangement
 * recomputes it, tells its unit once through WeCom when the day moved, and records it.
 */
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { parseArrangementFile } from '../../src/domain/calendar/arrangement';
import { KnexContactDirectory } from '../../src/domain/outbox/contacts';
import { OutboxSender } from '../../src/wecom/outbox-sender';
import { silentLogger } from '../../src/logger';
import { OrderViews } from '../../src/domain/conversation/views';
import { notifyNewOrdersJob } from '../../src/jobs/notify';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';
import { packagedUpTo } from '../support/calendar';
import { makeClient, startFake, type RunningFake } from '../wecom/support';
import { createHttpApp, finishHttpApp } from '../../src/http/server';
import { mountAdmin } from '../../src/http/admin';
import type { Server } from 'node:http';

const TOKEN = 'test-admin-token-0123456789';

/** GET on the admin API of `ctx`, with the admin token. */
async function apiGet(ctx: AppContext, path: string): Promise<any> {
  const app = createHttpApp(ctx, { ready: true });
  mountAdmin(app, ctx, {});
  finishHttpApp(app, ctx);
  const server = await new Promise<Server>((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  try {
    const port = (server.address() as { port: number }).port;
    const res = await fetch(`http://127.0.0.1:${port}/api${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return await res.json();
  } finally {
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const FIX = path.join(__dirname, '..', 'fixtures', 'conversation');
const NOTE = '（暂定，待国务院办公厅公布2027年安排后确认）';

describeEachDb('provisional deadlines', (get) => {
  let fake: RunningFake;
  let ctx: AppContext;
  let clock: ManualClock;
  let sender: OutboxSender;

  const setup = async (env: Record<string, string> = {}) => {
    // Thursday 31 December 2026, 10:00 in Beijing; the holiday data ends with 2026.
    clock = new ManualClock('2026-12-31T02:00:00Z');
    ctx = await createContext(testConfig({ ADMIN_TOKEN: TOKEN, ...env }), { db: get().db, migrate: false, clock, logger: silentLogger, packagedCalendar: () => packagedUpTo(2026) });
    fake = await startFake({ clock });
    const { client } = makeClient(fake.url, clock);
    sender = new OutboxSender(ctx.outbox, client, ctx.events, new KnexContactDirectory(ctx.db), clock, silentLogger);
    sender.listeners.push({
      onSent: (row) => ctx.chat.notifications.onDelivered(row),
      onFailed: (row, e) => ctx.chat.notifications.onFailed(row, e),
    });
    await ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    await ctx.imports.importFile(path.join(FIX, 'notice.csv'), { docNo: 'N-2027' });
    await ctx.chat.notifications.notifyPending();
    await sender.runOnce();
  };
  afterEach(async () => {
    await fake?.close();
  });

  const load = async (days: { name: string; date: string; isOffDay: boolean }[]) => {
    await ctx.calendar.loadArrangement(parseArrangementFile(JSON.stringify({ year: 2027, days })), '2027.json', 'admin:test');
    return ctx.provisionalDeadlines.recompute('admin:test');
  };
  const orderOf = async (userid: string) => {
    const m = fake.fake.messagesFor(userid).find((x) => x.msgtype === 'template_card')!;
    const id = Number(/wo:done:(\d+)/.exec(JSON.stringify(m.body))![1]);
    return ctx.db('work_orders').where({ id }).first();
  };
  const texts = (userid: string) => fake.fake.messagesFor(userid).filter((m) => m.msgtype === 'text').map((m) => (m.body as any).content as string);

  it('marks the card and the order, then recomputes it and tells its unit once when the loaded arrangement moves the day', async () => {
    await setup();
    const card = fake.fake.messagesFor('yi01').find((m) => m.msgtype === 'template_card')!.body as any;
    expect(card.horizontal_content_list).toContainEqual({ keyname: '整改期限', value: '2027年1月4日（周一）18:00' });
    expect(card.horizontal_content_list).toContainEqual({ keyname: '期限说明', value: NOTE });
    const before = await orderOf('yi01');
    expect(before.state).toBe('notified');
    expect(new Date(Number(before.due_at)).toISOString()).toBe('2027-01-04T10:00:00.000Z');
    expect(before.due_provisional === true || before.due_provisional === 1).toBe(true);

    // The API says so.
    const listed = await apiGet(ctx, '/work-orders');
    const row = listed.items.find((o: any) => o.id === Number(before.id));
    expect(row).toMatchObject({ due_at: '2027-01-04T10:00:00.000Z', provisional: true });
    expect((await apiGet(ctx, `/work-orders/${before.id}`)).provisional).toBe(true);
    // The chat says so too: 我的工单 and an order's detail.
    const view = await new OrderViews(ctx.db).get(Number(before.id));
    expect(view!.dueProvisional).toBe(true);
    const yi = await ctx.chat.support.actor('yi01', 0);
    await ctx.chat.queries.myOrders(yi);
    await ctx.chat.queries.detail(await ctx.chat.support.actor('yi01', 1), before.code);
    await sender.runOnce();
    const replies = texts('yi01');
    expect(replies).toHaveLength(2);
    for (const t of replies) expect(t).toContain(`2027年1月4日（周一）18:00${NOTE}`);

    // The State Council gives Monday 4 January off: one working day after 31 December is the 5th.
    clock.set('2027-01-02T02:00:00Z');
    const report = await load([
      { name: '元旦', date: '2027-01-01', isOffDay: true },
      { name: '元旦', date: '2027-01-04', isOffDay: true },
    ]);
    expect(report).toMatchObject({ changed: 3, confirmed: 0, still_provisional: 0 });
    const after = await orderOf('yi01');
    expect(new Date(Number(after.due_at)).toISOString()).toBe('2027-01-05T10:00:00.000Z');
    expect(after.due_provisional === false || after.due_provisional === 0).toBe(true);
    const changed = await ctx.events.list({ type: 'work_order.due_changed', workOrderId: Number(after.id) });
    expect(changed.map((e) => e.data)).toEqual([
      { reason: 'calendar_arrangement', year: 2027, from: Date.parse('2027-01-04T10:00:00Z'), to: Date.parse('2027-01-05T10:00:00Z'), provisional: false },
    ]);

    expect((await apiGet(ctx, `/work-orders/${after.id}`)).provisional).toBe(false);
    await sender.runOnce();
    const told = texts('yi01').filter((t) => t.startsWith('【期限调整】'));
    expect(told).toEqual([
      `【期限调整】国务院办公厅公布的2027年节假日安排已导入，工单 ${after.code}（乙市交通）的整改期限按该安排重新计算，由 2027年1月4日（周一）18:00 调整为 2027年1月5日（周二）18:00，请以此为准。`,
    ]);
    // Loading again (a corrected file) finds nothing provisional: nobody is told twice.
    expect(await load([{ name: '元旦', date: '2027-01-01', isOffDay: true }, { name: '元旦', date: '2027-01-04', isOffDay: true }])).toMatchObject({ checked: 0 });
    await sender.runOnce();
    expect(texts('yi01').filter((t) => t.startsWith('【期限调整】'))).toHaveLength(1);
  });

  it('only clears the mark when the loaded arrangement keeps the day', async () => {
    await setup();
    const report = await load([{ name: '元旦', date: '2027-01-01', isOffDay: true }]);
    expect(report).toMatchObject({ checked: 3, changed: 0, confirmed: 3 });
    const o = await orderOf('jia01');
    expect(new Date(Number(o.due_at)).toISOString()).toBe('2027-01-04T10:00:00.000Z');
    expect(o.due_provisional === false || o.due_provisional === 0).toBe(true);
    await sender.runOnce();
    expect(texts('jia01').filter((t) => t.startsWith('【期限调整】'))).toEqual([]);
    expect(await ctx.events.list({ type: 'work_order.due_changed' } as any)).toEqual([]);
  });

  it('is caught up by the notify job when the arrangement was loaded elsewhere without the recompute', async () => {
    await setup();
    const job = notifyNewOrdersJob('* * * * *');
    const tick = async () => job.run({ at: clock.now(), slot: clock.now(), ctx, calendar: await ctx.calendar.get() });
    // Nothing to do while 2027 is still the provisional year.
    expect(await tick()).not.toHaveProperty('provisional_recomputed');
    expect(await ctx.db('work_orders').where({ due_provisional: true })).toHaveLength(3);
    // Another instance stored the arrangement and died before recomputing.
    await ctx.calendar.loadArrangement(
      parseArrangementFile(JSON.stringify({ year: 2027, days: [{ name: '元旦', date: '2027-01-01', isOffDay: true }, { name: '元旦', date: '2027-01-04', isOffDay: true }] })),
      '2027.json',
      'admin:test',
    );
    expect(await tick()).toMatchObject({ provisional_recomputed: 3 });
    expect(await ctx.db('work_orders').where({ due_provisional: true })).toHaveLength(0);
    expect(new Date(Number((await orderOf('yi01')).due_at)).toISOString()).toBe('2027-01-05T10:00:00.000Z');
    expect(await tick()).not.toHaveProperty('provisional_recomputed');
    await sender.runOnce();
    expect(texts('yi01').filter((t) => t.startsWith('【期限调整】'))).toHaveLength(1);
  });

  it('writes the note into text notices when cards are off', async () => {
    await setup({ WECOM_CARDS: 'false' });
    const [m] = fake.fake.messagesFor('yi01');
    expect((m.body as any).content).toContain(`整改期限：2027年1月4日（周一）18:00${NOTE}`);
  });
});
