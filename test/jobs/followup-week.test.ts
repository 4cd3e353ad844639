/**
 * A notice walked through a week with a holiday in it (Qingming 2026: Sat 4 – Mon 6 April off),
 * against the fake WeCom, with the injected clock moved by the same JobRunner.tick that the
 * scheduler and `cli tick` use — by two instances at once. Reminders, overdue, each ladder step,
 * the digests and the repeat-offender escalations arrive on the right working days and times,
 * never on a day off or outside working hours, and never twice.
 */
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { formatInstant } from '../../src/domain/calendar/dates';
import { buildJobs } from '../../src/jobs';
import { JobRunner } from '../../src/jobs/runner';
import { createWecomTransport, type WecomTransport } from '../../src/app/transport';
import type { FakeMessage } from '../../src/simulator/fake-wecom';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';
import { CORP, startFake, type RunningFake } from '../wecom/support';

const FIX = path.join(__dirname, '..', 'fixtures', 'followup');
const ZONE = 'Asia/Shanghai';
const bj = (d: Date | number) => formatInstant(new Date(d), ZONE);

describeEachDb('follow-up through a week with a holiday', (get) => {
  let fake: RunningFake;
  let clock: ManualClock;
  let ctx: AppContext;
  let other: AppContext;
  let wecom: WecomTransport;
  let runners: JobRunner[];

  beforeEach(async () => {
    clock = new ManualClock('2026-01-15T10:00:00+08:00');
    fake = await startFake({ clock });
    const config = testConfig({
      WECOM_CORP_ID: CORP.corpId,
      WECOM_AGENT_ID: String(CORP.agentId),
      WECOM_SECRET: CORP.secret,
      WECOM_TOKEN: 'followuptoken',
      WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
      WECOM_API_BASE: fake.url,
      QUIET_HOURS: '08:30-18:00',
      WECOM_CARDS: 'false',
    });
    ctx = await createContext(config, { db: get().db, clock, migrate: false });
    // A second instance on the same database: its own services, its own job runner.
    other = await createContext(config, { db: get().db, clock, migrate: false });
    wecom = createWecomTransport(ctx);
    runners = [new JobRunner(ctx, buildJobs(ctx), 'instance-a'), new JobRunner(other, buildJobs(other), 'instance-b')];
    await ctx.calendar.reload();
    await other.calendar.reload();
  });
  afterEach(async () => {
    await wecom.stop();
    await fake.close();
  });

  /** Both instances tick at the instant, then every message due is delivered to the fake. */
  async function tickAt(iso: string | Date): Promise<void> {
    clock.set(iso);
    await Promise.all(runners.map((r) => r.tick(clock.now())));
    for (let i = 0; i < 20; i++) {
      const outcomes = await wecom.sender.runOnce();
      if (!outcomes.some((o) => o === 'sent' || o === 'retry')) break;
    }
  }

  /** Ticks every half hour from `from` to `to` inclusive (every two hours at night: less work, same checks). */
  async function walk(from: string, to: string): Promise<void> {
    for (let t = new Date(from).getTime(); t <= new Date(to).getTime(); t += 30 * 60_000) {
      const hhmm = bj(t).slice(11, 16);
      if ((hhmm < '07:00' || hhmm > '19:00') && !hhmm.endsWith(':00')) continue;
      if ((hhmm < '07:00' || hhmm > '19:00') && Number(hhmm.slice(0, 2)) % 2 === 1) continue;
      await tickAt(new Date(t));
    }
  }

  const content = (m: FakeMessage) => String(m.body.content ?? "");
  const to = (userid: string, test: RegExp) => fake.fake.messages.filter((m) => m.touser === userid && test.test(content(m)));
  const when = (ms: FakeMessage[]) => ms.map((m) => bj(m.at));

  it('reminds, goes overdue, climbs the ladder on working mornings, digests, and flags the repeat offender once', async () => {
    expect(await ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'))).toMatchObject({ contacts: 5, rejected: [] });

    // January: the account was notified once and rectified.
    const q1 = await ctx.imports.importFile(path.join(FIX, 'notice-q1.csv'), { docNo: '甲政办〔2026〕1号', title: '一季度通报', issuedOn: '2026-01-15' });
    expect(q1.escalations).toBe(0);
    const [old] = await ctx.db('work_orders').where({ notice_id: q1.notice_id });
    await ctx.workOrders.transition(old.id, 'notify', { actor: 'test', at: clock.now(), dueAt: new Date('2026-01-16T18:00:00+08:00') });
    await ctx.workOrders.transition(old.id, 'reply', { actor: 'test', at: clock.now() });
    await ctx.workOrders.transition(old.id, 'accept', { actor: 'test', at: clock.now() });

    // Thursday 2 April, 10:00: the second notice of the year names the same account again.
    clock.set('2026-04-02T10:00:00+08:00');
    const q2 = await ctx.imports.importFile(path.join(FIX, 'notice-q2.csv'), { docNo: '甲政办〔2026〕9号', title: '二季度通报', issuedOn: '2026-04-02' });
    expect(q2).toMatchObject({ work_orders: 2, repeat_targets: 1, escalations: 2 }); // the account and its unit
    const orders = await ctx.db('work_orders').where({ notice_id: q2.notice_id }).orderBy('id');
    const [a, b] = orders.map((o: any) => o.code as string);

    await walk('2026-04-02T10:00:00+08:00', '2026-04-03T10:30:00+08:00');
    // Notified at 10:00 Thursday: due at Friday's cutoff.
    const notified = await ctx.db('work_orders').where({ notice_id: q2.notice_id }).orderBy('id');
    expect(notified.map((o: any) => [o.state, bj(Number(o.due_at))])).toEqual([
      ['notified', '2026-04-03T18:00:00+08:00'],
      ['notified', '2026-04-03T18:00:00+08:00'],
    ]);
    // The repeat offender (account and unit) reached the supervisor and the admin once each.
    expect(to('dubanjia', /【重复通报】/)).toHaveLength(2);
    expect(to('admin1', /【重复通报】/)).toHaveLength(2);
    expect(content(to('dubanjia', /【重复通报】/)[0])).toMatch(/政务新媒体“甲县教育发布”.*2026年内已被通报 2 次.*拟责令关停/);
    expect(content(to('dubanjia', /【重复通报】/)[1])).toMatch(/“甲县教育局”2026年内已在 2 份通报中被通报.*拟约谈/);
    expect((await ctx.db('escalations').whereIn('kind', ['repeat_target', 'repeat_unit'])).map((e: any) => e.status)).toEqual(['delivered', 'delivered']);
    // Friday 09:00: the due-day reminder for each order, and the supervisor's digest lists both as due today.
    expect(when(to('jia01', /【整改提醒】.*今天/))).toEqual(['2026-04-03T09:00:00+08:00', '2026-04-03T09:00:00+08:00']);
    // (Thursday's 09:00 digest was caught up once at 10:00, the first tick of this "instance".)
    const friDigest = to('dubanjia', /【督办日报】/).slice(1);
    expect(when(friDigest)).toEqual(['2026-04-03T09:00:00+08:00']);
    expect(content(friDigest[0])).toContain('今日到期（2 张');
    expect(content(friDigest[0])).toContain('重复通报待处理（2 项）');
    expect(when(to('admin1', /【督办日报 · 全市】/))).toEqual(['2026-04-02T10:00:00+08:00', '2026-04-03T09:00:00+08:00']);

    // Friday 11:00: the unit answers one order in chat.
    await ctx.inbound.record(
      { toUserName: CORP.corpId, fromUserName: 'jia01', createTime: Math.floor(clock.now().getTime() / 1000), msgType: 'text', content: `已整改 ${b} 已回复全部留言`, picUrl: null, mediaId: null, msgId: 'm-1', agentId: String(CORP.agentId), event: null, eventKey: null, taskId: null, responseCode: null },
      '<xml/>',
      clock.now(),
    );
    await wecom.processor.runOnce();
    expect((await ctx.db('work_orders').where({ code: b }).first()).state).toBe('replied');

    // Through the long weekend to the next Friday.
    await walk('2026-04-03T11:00:00+08:00', '2026-04-10T12:00:00+08:00');

    // 16:00 Friday, two hours before the cutoff: only the unanswered order is reminded again.
    expect(to('jia01', /【整改提醒】.*将于/).map((m) => [bj(m.at), content(m).includes(a)])).toEqual([['2026-04-03T16:00:00+08:00', true]]);
    const orderA = await ctx.db('work_orders').where({ code: a }).first();
    expect(Boolean(orderA.overdue)).toBe(true);
    expect(bj(Number(orderA.overdue_at))).toBe('2026-04-03T18:00:00+08:00');
    // One step per working morning after the holiday: contact, AB backup, leader, supervisor.
    expect(when(to('jia01', /【逾期提醒】/))).toEqual(['2026-04-07T08:30:00+08:00']);
    expect(when(to('jia02', /【逾期督办】.*AB角/))).toEqual(['2026-04-08T08:30:00+08:00']);
    expect(when(to('jia03', /【逾期督办】/))).toEqual(['2026-04-09T08:30:00+08:00']);
    expect(when(to('dubanjia', /【逾期升级】/))).toEqual(['2026-04-10T08:30:00+08:00']);
    expect(content(to('dubanjia', /【逾期升级】/)[0])).toContain(`工单 ${a}`);
    expect(content(to('dubanjia', /【逾期升级】/)[0])).toContain('已逾期 4 个工作日');
    // The replied order never climbed; the ladder of the other is on the order and its escalation.
    expect(fake.fake.messages.some((m) => /逾期/.test(content(m)) && content(m).includes(b) && !/日报/.test(content(m)))).toBe(false);
    expect(orderA.escalation_step).toBe(4);
    expect(await ctx.db('escalations').where({ kind: 'overdue' }).select('work_order_id', 'step', 'status')).toEqual([
      { work_order_id: orderA.id, step: 4, status: 'delivered' },
    ]);
    expect((await ctx.events.list({ workOrderId: orderA.id, type: 'work_order.escalated' })).map((e) => e.data.role)).toEqual(['primary', 'backup', 'leader', 'supervisor']);

    // A digest every working morning at 09:00 — Friday, then Tuesday to Friday — never on the holiday.
    const digests = to('dubanjia', /【督办日报】/).slice(1);
    expect(when(digests)).toEqual([
      '2026-04-03T09:00:00+08:00',
      '2026-04-07T09:00:00+08:00',
      '2026-04-08T09:00:00+08:00',
      '2026-04-09T09:00:00+08:00',
      '2026-04-10T09:00:00+08:00',
    ]);
    expect(content(digests[1])).toMatch(new RegExp(`逾期未整改（1 张.*\\n1\\. 工单 ${a} 甲县教育局 · 甲县教育发布，逾期 1 个工作日`));
    expect(content(digests[1])).toMatch(new RegExp(`待审核（1 项）：\\n1\\. 工单 ${b} 甲县教育局 · 整改反馈`));
    expect(content(digests[4])).toContain('逾期 4 个工作日');

    // Nothing on a day off or outside working hours, and nothing twice, with two instances ticking.
    for (const m of fake.fake.messages) {
      const t = bj(m.at);
      expect(t.slice(0, 10)).not.toMatch(/^2026-04-0[456]$/);
      expect(t.slice(11, 16) >= '08:30' && t.slice(11, 16) < '18:00').toBe(true);
    }
    const seen = fake.fake.messages.map((m) => `${m.touser}|${content(m)}`);
    expect(new Set(seen).size).toBe(seen.length);
    const runs = await ctx.db('job_runs').select('job', 'slot');
    expect(new Set(runs.map((r: any) => `${r.job}|${r.slot}`)).size).toBe(runs.length);
    expect(new Set(runs.map((r: any) => r.job))).toEqual(new Set(buildJobs(ctx).map((j) => j.name)));
  }, 180_000);

  it('holds a message asked for outside working hours until the next working morning', async () => {
    await ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    clock.set('2026-04-03T20:15:00+08:00'); // Friday evening before the long weekend
    await ctx.chat.messenger.send({ key: 'k1', touser: 'jia01', purpose: 'admin_notice', message: '测试' });
    await ctx.chat.messenger.send({ key: 'k2', touser: 'jia01', purpose: 'reply', message: '答复' });
    const rows = await ctx.db('outbox').whereIn('idempotency_key', ['k1', 'k2']).orderBy('idempotency_key');
    expect(rows.map((r: any) => bj(Number(r.next_attempt_at)))).toEqual(['2026-04-07T08:30:00+08:00', '2026-04-03T20:15:00+08:00']);
    await ctx.settings.update({ quiet_allow: ['reply', 'card_update', 'admin_notice'] }, 'admin:test');
    await ctx.chat.messenger.send({ key: 'k3', touser: 'jia01', purpose: 'admin_notice', message: '测试2' });
    expect(bj(Number((await ctx.db('outbox').where({ idempotency_key: 'k3' }).first()).next_attempt_at))).toBe('2026-04-03T20:15:00+08:00');
  });

  it('does not send a held reminder once the unit has answered', async () => {
    await ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    await ctx.settings.update({ reminder_morning: '08:00' }, 'admin:test'); // before working hours: held to 08:30
    clock.set('2026-04-02T10:00:00+08:00');
    await ctx.imports.importFile(path.join(FIX, 'notice-q1.csv'), { docNo: '甲政办〔2026〕2号', issuedOn: '2026-04-02' });
    await ctx.chat.notifications.notifyPending();
    await wecom.sender.runOnce();
    const [o] = await ctx.db('work_orders');
    expect(o.state).toBe('notified');

    clock.set('2026-04-03T08:00:00+08:00');
    expect(await ctx.followup.remind(clock.now())).toMatchObject({ reminders: 1 });
    const row = await ctx.db('outbox').where({ purpose: 'reminder' }).first();
    expect(bj(Number(row.next_attempt_at))).toBe('2026-04-03T08:30:00+08:00');

    clock.set('2026-04-03T08:15:00+08:00');
    await ctx.inbound.record(
      { toUserName: CORP.corpId, fromUserName: 'jia01', createTime: Math.floor(clock.now().getTime() / 1000), msgType: 'text', content: `已整改 ${o.code} 已更新`, picUrl: null, mediaId: null, msgId: 'm-2', agentId: String(CORP.agentId), event: null, eventKey: null, taskId: null, responseCode: null },
      '<xml/>',
      clock.now(),
    );
    await wecom.processor.runOnce();
    clock.set('2026-04-03T08:30:00+08:00');
    await wecom.sender.runOnce();
    expect((await ctx.db('outbox').where({ id: row.id }).first()).state).toBe('cancelled');
    expect(to('jia01', /【整改提醒】/)).toHaveLength(0);
    const [ev] = await ctx.events.list({ type: 'message.out.cancelled' });
    expect(ev.data).toMatchObject({ outboxId: Number(row.id), purpose: 'reminder' });
  });

  it('keeps a repeat offender with nobody to tell until a supervisor or admin exists, then sends it once', async () => {
    await ctx.imports.importFile(path.join(FIX, 'notice-q1.csv'), { docNo: '甲政办〔2026〕1号', issuedOn: '2026-01-15' });
    await ctx.imports.importFile(path.join(FIX, 'notice-q2.csv'), { docNo: '甲政办〔2026〕9号', issuedOn: '2026-04-02' });
    clock.set('2026-04-02T10:00:00+08:00');
    expect(await ctx.followup.deliverRepeatOffenders(clock.now())).toEqual({ delivered: 0, messages: 0 });
    expect((await ctx.db('escalations')).map((e: any) => e.status)).toEqual(['open', 'open']);
    await ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    expect(await ctx.followup.deliverRepeatOffenders(clock.now())).toEqual({ delivered: 2, messages: 4 });
    expect(await ctx.followup.deliverRepeatOffenders(clock.now())).toEqual({ delivered: 0, messages: 0 });
  });

  it('sends no digest when there is nothing to say', async () => {
    await ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    await tickAt('2026-04-07T09:00:00+08:00');
    expect(fake.fake.messages).toHaveLength(0);
    expect((await ctx.db('job_runs').where({ job: 'digest' }).first()).status).toBe('done');
  });
});
