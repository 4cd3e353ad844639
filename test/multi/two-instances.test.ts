/**
 * Two service instances on one PostgreSQL schema and one fake WeCom, as behind a load balancer:
 * each instance has its own connection pool, outbox sender, inbound processor and JobRunner.
 * A notice goes through notification (both instances notify), unit replies and supervisor review
 * with every callback delivered to both instances, then time moves with the injected clock and
 * both JobRunners tick at the same instants. Whatever jobs buildJobs() holds, each (job, slot)
 * runs once; every message reaches WeCom once; no callback is handled twice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { startService, type RunningService } from '../../src/service';
import { buildJobs } from '../../src/jobs';
import { JobRunner, type JobReport } from '../../src/jobs/runner';
import type { Job } from '../../src/jobs/types';
import { AWAITING_UNIT_STATES } from '../../src/domain/workorders/states';
import type { UserAction } from '../../src/simulator/callback-client';
import { openTestDb, type TestDb } from '../support/db';
import { testConfig } from '../support/config';
import { startFake, type RunningFake } from '../wecom/support';
import { HAS_PG, PG_SKIP_REASON, postToAll, wecomEnv } from './support';
import { waitFor } from '../support/wait';

const FIX = path.join(__dirname, '..', 'fixtures', 'conversation');
const ZONE_OFFSET = '+08:00';
/** Monday 23 November 2026, 09:30 in Beijing: a working day. */
const START = `2026-11-23T09:30:00${ZONE_OFFSET}`;

interface Instance {
  name: string;
  svc: RunningService;
  runner: JobRunner;
  delivered: number[];
  callbackUrl: string;
}

const describePg = HAS_PG ? describe : describe.skip;
if (!HAS_PG) {
  console.warn(`[two instances] ${PG_SKIP_REASON}`);
}

describePg(`two instances on one PostgreSQL${HAS_PG ? '' : ` (${PG_SKIP_REASON})`}`, () => {
  let tdb: TestDb;
  let fake: RunningFake;
  let dir: string;
  const clock = new ManualClock(START);
  const instances: Instance[] = [];
  /** Invocations of each job's run(), by `${job}@${slot}`, across both instances. */
  const runs = new Map<string, string[]>();
  const reports: (JobReport & { instance: string })[] = [];
  const callbacks: UserAction[] = [];
  let jobNames: string[] = [];

  beforeAll(async () => {
    tdb = await openTestDb('postgres');
    fake = await startFake();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-multi-'));
    for (const name of ['A', 'B']) {
      const config = testConfig({
        DATABASE_URL: tdb.url,
        PORT: '0',
        MEDIA_DIR: path.join(dir, name),
        // The test drives each instance's JobRunner itself, at instants it chooses.
        JOBS_ENABLED: 'false',
        ...wecomEnv(fake.url),
      });
      const svc = await startService(config, {
        clock,
        dbOptions: { schema: tdb.schema, poolMax: 4 },
        migrate: false,
        pollIntervalMs: 30,
      });
      const jobs: Job[] = buildJobs(svc.ctx).map((job) => ({
        ...job,
        async run(r) {
          const key = `${job.name}@${r.slot.toISOString()}`;
          runs.set(key, [...(runs.get(key) ?? []), name]);
          return job.run(r);
        },
      }));
      jobNames = jobs.map((j) => j.name);
      const delivered: number[] = [];
      svc.wecom.sender.listeners.push({ onSent: async (row) => void delivered.push(row.id) });
      instances.push({ name, svc, runner: new JobRunner(svc.ctx, jobs, `instance-${name}`), delivered, callbackUrl: `${svc.baseUrl}/wecom/callback` });
    }
  }, 30_000);

  afterAll(async () => {
    for (const i of instances) await i.svc.stop().catch(() => undefined);
    await fake?.close();
    await tdb?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const db = () => instances[0].svc.ctx.db;
  const count = async (q: any) => Number((await q.count({ n: '*' }))[0].n);

  /** Nothing left that either instance could do now: every due message sent, every callback handled. */
  const idle = () =>
    waitFor('both instances to drain their queues', async () => {
      const now = clock.now().getTime();
      const due = await count(
        db()('outbox').where((w) => void w.where('state', 'sending').orWhere((p) => void p.where('state', 'pending').andWhere('next_attempt_at', '<=', now))),
      );
      const inbound = await count(db()('inbound_messages').whereIn('state', ['pending', 'processing']));
      return due === 0 && inbound === 0;
    });

  /** WeCom delivers the same callback to both instances, at the same time. */
  const act = async (a: Omit<UserAction, 'createTimeS'>) => {
    const action: UserAction = { ...a, createTimeS: Math.floor(clock.now().getTime() / 1000) };
    callbacks.push(action);
    expect(await postToAll(instances.map((i) => i.callbackUrl), action)).toEqual([200, 200]);
    await idle();
  };
  const say = (userid: string, content: string) => act({ fromUserid: userid, kind: 'text', content });
  const click = (userid: string, card: { body: any; responseCode: string | null }, key: string) =>
    act({ fromUserid: userid, kind: 'card_click', eventKey: key, taskId: card.body.task_id, responseCode: card.responseCode ?? '' });
  const cards = (userid: string) => fake.fake.messagesFor(userid).filter((m) => m.msgtype === 'template_card');
  const texts = (userid: string) => fake.fake.messagesFor(userid).filter((m) => m.msgtype === 'text').map((m) => String(m.body.content));

  /** Both instances' JobRunners tick at the same instant, concurrently. */
  const tickBoth = async (at: Date) => {
    clock.set(at);
    const both = await Promise.all(instances.map(async (i) => ({ i, r: await i.runner.tick(at) })));
    for (const { i, r } of both) for (const j of r.jobs) reports.push({ ...j, instance: i.runner.instance });
    await idle();
  };

  it('notifies, takes replies and reviews, and runs every job once, with every message delivered once', async () => {
    const [a, b] = instances;
    expect(jobNames.length).toBeGreaterThan(0);

    // Contacts and a notice, imported through instance A; both instances notify at once.
    await a.svc.ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
    const notice = await a.svc.ctx.imports.importFile(path.join(FIX, 'notice.csv'), { docNo: '乙政办字〔2026〕9号', title: '关于2026年三季度政务新媒体检查情况的通报' });
    expect(notice.work_orders).toBe(4);
    await Promise.all([a.svc.ctx.chat.notifications.notifyPending(), b.svc.ctx.chat.notifications.notifyPending()]);
    await idle();
    const orders = await db()('work_orders').orderBy('id');
    const [o1, o2, o3, o4] = orders;
    const byId = async (id: number) => db()('work_orders').where({ id }).first();
    await waitFor('three orders notified', async () => (await count(db()('work_orders').where({ state: 'notified' }))) === 3);
    expect(cards('jia01')).toHaveLength(2);
    expect(cards('yi01')).toHaveLength(1);
    expect(cards('jia02')).toHaveLength(0);
    expect(texts('admin1').filter((t) => t.includes('丙县文化和旅游局'))).toHaveLength(1);
    expect((await byId(o4.id)).state).toBe('new');

    // jia01 clicks 已整改 on its first card, then describes what it did.
    clock.set(`2026-11-23T10:00:00${ZONE_OFFSET}`);
    const card1 = cards('jia01').find((c) => c.body.main_title && String((c.body.main_title as any).title).includes(o1.code))!;
    await click('jia01', card1, `wo:done:${o1.id}`);
    expect(texts('jia01').at(-1)).toContain(`请直接回复工单 ${o1.code} 的整改说明`);
    await say('jia01', '已更新全部栏目内容并完成自查');
    expect(texts('jia01').at(-1)).toBe(`已收到工单 ${o1.code} 的整改反馈，已提交督办人审核，审核结果将另行通知。`);
    expect((await byId(o1.id)).state).toBe('replied');

    // yi01 answers its only order in free text.
    clock.set(`2026-11-23T10:30:00${ZONE_OFFSET}`);
    await say('yi01', '已更正表述错误');
    expect((await byId(o3.id)).state).toBe('replied');

    // The supervisors: 乙 accepts by button, 甲 rejects by button and gives the reason.
    clock.set(`2026-11-23T11:00:00${ZONE_OFFSET}`);
    const review3 = await waitFor('the review card for 乙', async () => cards('dubanyi')[0]);
    await click('dubanyi', review3, (review3.body.button_list as any[])[0].key);
    expect((await byId(o3.id)).state).toBe('accepted');
    clock.set(`2026-11-23T11:30:00${ZONE_OFFSET}`);
    const review1 = await waitFor('the review card for 甲', async () => cards('dubanjia').find((c) => String((c.body.main_title as any).title).includes(o1.code)));
    await click('dubanjia', review1, (review1.body.button_list as any[])[1].key);
    expect(texts('dubanjia').at(-1)).toBe(`请直接回复退回工单 ${o1.code} 的理由，将转告整改单位。`);
    await say('dubanjia', '截图未体现栏目更新，请补充');
    expect(texts('dubanjia').at(-1)).toBe(`已处理：工单 ${o1.code} 已退回，已通知整改单位。`);

    // Time moves: both JobRunners tick at the same instants, over two working weeks, and each
    // instant twice (a second tick of an instant must find everything done).
    const dueAts = (await db()('work_orders').whereNotNull('due_at')).map((w: any) => Number(w.due_at));
    const instants = new Set<number>();
    const day0 = new Date(`2026-11-23T00:00:00${ZONE_OFFSET}`).getTime();
    for (let d = 0; d < 12; d++) {
      for (const hm of ['08:00', '09:00', '09:30', '12:00', '16:00', '17:59', '18:00', '18:30', '21:00']) {
        const [h, m] = hm.split(':').map(Number);
        instants.add(day0 + d * 86_400_000 + (h * 60 + m) * 60_000);
      }
    }
    for (const due of dueAts) for (const t of [due - 2 * 3_600_000, due, due + 60_000]) instants.add(t);
    const ordered = [...instants].filter((t) => t >= clock.now().getTime()).sort((x, y) => x - y);
    for (const t of ordered) {
      await tickBoth(new Date(t));
      if (t === ordered[0] || t === ordered[ordered.length - 1]) await tickBoth(new Date(t));
    }
    // End on a working morning, so that anything held for working hours has gone out.
    await tickBoth(new Date(`2026-12-07T10:00:00${ZONE_OFFSET}`));
    for (const i of instances) {
      await i.svc.wecom.outboxLoop.runNow();
      await i.svc.wecom.inboundLoop.runNow();
    }
    await idle();

    // --- Jobs: every job in buildJobs ran, each (job, slot) exactly once across both instances.
    expect(reports.filter((r) => r.status === 'failed' || r.status === 'busy')).toEqual([]);
    const bySlot = new Map<string, (JobReport & { instance: string })[]>();
    for (const r of reports) {
      const k = `${r.job}@${new Date(r.slot).toISOString()}`;
      bySlot.set(k, [...(bySlot.get(k) ?? []), r]);
    }
    const jobRuns = await db()('job_runs').orderBy('id');
    expect(new Set(jobRuns.map((r: any) => r.job))).toEqual(new Set(jobNames));
    expect(jobRuns).toHaveLength(bySlot.size);
    for (const [key, rs] of bySlot) {
      const performed = rs.filter((r) => r.status === 'ran' || r.status === 'skipped');
      expect({ key, performed: performed.length }).toEqual({ key, performed: 1 });
      const [job, iso] = [key.slice(0, key.indexOf('@')), key.slice(key.indexOf('@') + 1)];
      const row = jobRuns.find((r: any) => r.job === job && Number(r.slot) === new Date(iso).getTime());
      expect({ key, status: row?.status, attempts: Number(row?.attempts), instance: row?.instance }).toEqual({
        key,
        status: performed[0].status === 'ran' ? 'done' : 'skipped',
        attempts: 1,
        instance: performed[0].instance,
      });
      // run() itself was entered once (skipped slots never enter it).
      expect({ key, runs: runs.get(key)?.length ?? 0 }).toEqual({ key, runs: performed[0].status === 'ran' ? 1 : 0 });
    }
    for (const name of jobNames) expect(reports.some((r) => r.job === name && r.status === 'ran')).toBe(true);

    // --- Outbox: everything sent, each row by one sender once, each message received once.
    const outbox = await db()('outbox').orderBy('id');
    expect(outbox.filter((r: any) => r.state !== 'sent').map((r: any) => `${r.id} ${r.purpose} ${r.state} ${r.last_error}`)).toEqual([]);
    const delivered = [...a.delivered, ...b.delivered];
    expect(delivered.length).toBe(new Set(delivered).size);
    expect(new Set(delivered)).toEqual(new Set(outbox.map((r: any) => Number(r.id))));
    const sentEvents = await a.svc.ctx.events.list({ type: 'message.out.sent' });
    expect(sentEvents.length).toBe(outbox.length);
    expect(new Set(sentEvents.map((e) => Number((e.data as any).outboxId))).size).toBe(outbox.length);
    expect(outbox.every((r: any) => Number(r.attempts) === 1)).toBe(true);
    const messages = outbox.filter((r: any) => r.channel === 'message');
    const fakeMessages = fake.fake.messages.filter((m) => m.chatid === null);
    expect(fakeMessages).toHaveLength(messages.length);
    expect(new Set(fakeMessages.map((m) => m.msgid))).toEqual(new Set(messages.map((r: any) => r.msgid)));
    const contentKeys = fakeMessages.map((m) => `${m.touser} ${m.msgtype} ${JSON.stringify(m.body)}`);
    expect(contentKeys.length).toBe(new Set(contentKeys).size);
    const taskIds = fakeMessages.filter((m) => m.msgtype === 'template_card').map((m) => String(m.body.task_id));
    expect(taskIds.length).toBe(new Set(taskIds).size);
    expect(fake.fake.calls['/message/send']).toBe(messages.length);
    expect(fake.fake.calls['/message/update_template_card'] ?? 0).toBe(outbox.filter((r: any) => r.channel === 'update_card').length);
    expect(fake.fake.duplicateChecked).toBe(0);

    // --- Callbacks: each one stored once although both instances got it, and handled once.
    const inbound = await db()('inbound_messages').orderBy('id');
    expect(inbound).toHaveLength(callbacks.length);
    expect(inbound.map((r: any) => [r.state, Number(r.attempts)])).toEqual(callbacks.map(() => ['done', 1]));
    const handled = await a.svc.ctx.events.list({ type: 'message.in.handled' });
    expect(handled.map((e) => Number((e.data as any).inboundId)).sort((x, y) => x - y)).toEqual(inbound.map((r: any) => Number(r.id)));
    expect(await a.svc.ctx.events.list({ type: 'message.in.received' })).toHaveLength(callbacks.length);

    // --- The conversation's effects happened once each.
    const typesOf = async (id: number) => (await a.svc.ctx.events.list({ workOrderId: id })).map((e) => e.type).filter((t) => t.startsWith('work_order.'));
    const once = (types: string[], t: string) => types.filter((x) => x === t).length;
    const t1 = await typesOf(o1.id);
    expect([once(t1, 'work_order.notify'), once(t1, 'work_order.reply'), once(t1, 'work_order.reject')]).toEqual([2, 1, 1]);
    const t3 = await typesOf(o3.id);
    expect([once(t3, 'work_order.notify'), once(t3, 'work_order.reply'), once(t3, 'work_order.accept')]).toEqual([1, 1, 1]);
    expect(await count(db()('replies'))).toBe(2);
    expect(cards('jia01').filter((c) => String((c.body.main_title as any).title) === `整改退回 · 工单 ${o1.code}`)).toHaveLength(1);
    expect(await count(db()('events').where({ type: 'unit.no_contact' }))).toBe(1);

    // --- Overdue: every unanswered order past its deadline is flagged, once.
    const end = clock.now().getTime();
    const open = await db()('work_orders').whereIn('state', [...AWAITING_UNIT_STATES]).whereNotNull('due_at').andWhere('due_at', '<=', end);
    expect(open.map((w: any) => w.id)).toContain(o2.id);
    for (const w of open) {
      expect({ id: w.id, overdue: Boolean(w.overdue) }).toEqual({ id: w.id, overdue: true });
      expect({ id: w.id, events: once(await typesOf(w.id), 'work_order.overdue') }).toEqual({ id: w.id, events: 1 });
    }
    expect(await count(db()('events').where({ type: 'work_order.overdue' }))).toBe(open.length);

    // --- Escalation: each overdue order climbed its ladder one step at a time, each step once
    // across both instances; two working weeks take o2 to the top of the default ladder.
    for (const w of open) {
      const steps = (await a.svc.ctx.events.list({ workOrderId: w.id }))
        .filter((e) => e.type === 'work_order.escalated' || e.type === 'work_order.escalation_skipped')
        .map((e) => Number((e.data as any).step));
      expect({ id: w.id, steps }).toEqual({ id: w.id, steps: steps.map((_, i) => i + 1) });
      if (w.id === o2.id) expect(steps).toEqual([1, 2, 3, 4]);
    }
    expect(fakeMessages.filter((m) => /^【逾期(提醒|督办|升级)】/.test(String(m.body.content ?? ''))).length).toBeGreaterThanOrEqual(3);
  }, 80_000);
});
