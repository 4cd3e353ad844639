import { describeEachDb, openTestDb } from '../support/db';
import { testConfig } from '../support/config';
import { insertWorkOrder } from '../support/fixtures';
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { createDb } from '../../src/db/knex';
import { JobRunner } from '../../src/jobs/runner';
import { overdueSweepJob } from '../../src/jobs/overdue';
import type { Job } from '../../src/jobs/types';

function countingJob(name: string, cron: string, extra: Partial<Job> = {}): Job & { runs: Date[] } {
  const runs: Date[] = [];
  return {
    name,
    title: name,
    cron,
    runs,
    async run({ slot }) {
      runs.push(slot);
      return { n: runs.length };
    },
    ...extra,
  };
}

describeEachDb('job runner', (get) => {
  let ctx: AppContext;
  const clock = new ManualClock('2025-11-24T01:00:00Z');
  beforeEach(async () => {
    ctx = await createContext(testConfig(), { db: get().db, clock, migrate: false });
  });

  it('runs the latest slot once per instant, and the next slot when it comes', async () => {
    const job = countingJob('every_minute', '* * * * *');
    const runner = new JobRunner(ctx, [job], 'a');
    const at = new Date('2025-11-24T09:00:30+08:00');
    expect((await runner.tick(at)).jobs[0]).toMatchObject({ status: 'ran', slot: '2025-11-24T09:00:00+08:00' });
    expect((await runner.tick(at)).jobs[0].status).toBe('already_done');
    expect((await new JobRunner(ctx, [job], 'b').tick(at)).jobs[0].status).toBe('already_done');
    expect((await runner.tick(new Date('2025-11-24T09:01:00+08:00'))).jobs[0].status).toBe('ran');
    expect(job.runs.map((d) => d.toISOString())).toEqual(['2025-11-24T01:00:00.000Z', '2025-11-24T01:01:00.000Z']);
  });

  it('catches up a slot missed while down, once, in the business time zone', async () => {
    const job = countingJob('morning', '0 9 * * *');
    const runner = new JobRunner(ctx, [job], 'a');
    // Down from before 09:00 until 11:00 Beijing time.
    expect((await runner.tick(new Date('2025-11-24T11:00:00+08:00'))).jobs[0]).toMatchObject({
      status: 'ran',
      slot: '2025-11-24T09:00:00+08:00',
    });
    expect((await runner.tick(new Date('2025-11-24T11:01:00+08:00'))).jobs[0].status).toBe('already_done');
    expect(job.runs).toHaveLength(1);
  });

  it('skips a working-days-only job on a day off, and records it', async () => {
    const job = countingJob('digest', '0 9 * * *', { workdaysOnly: true });
    const runner = new JobRunner(ctx, [job], 'a');
    const holiday = await runner.tick(new Date('2025-10-08T09:00:00+08:00'));
    expect(holiday.jobs[0]).toMatchObject({ status: 'skipped' });
    const makeup = await runner.tick(new Date('2025-10-11T09:00:00+08:00')); // a Saturday make-up day
    expect(makeup.jobs[0].status).toBe('ran');
    expect(job.runs).toHaveLength(1);
    expect((await runner.tick(new Date('2025-10-08T09:00:00+08:00'))).jobs[0].status).toBe('already_done');
  });

  it('retries a failed slot on later ticks, at most three times', async () => {
    let calls = 0;
    const job: Job = {
      name: 'flaky',
      title: 'flaky',
      cron: '0 9 * * *',
      async run() {
        calls += 1;
        throw new Error(`boom ${calls}`);
      },
    };
    const runner = new JobRunner(ctx, [job], 'a');
    const at = new Date('2025-11-24T09:00:00+08:00');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await runner.tick(at)).jobs[0].status);
    expect(statuses).toEqual(['failed', 'failed', 'failed', 'already_done', 'already_done']);
    expect(calls).toBe(3);
  });

  it('the overdue sweep flags due orders awaiting the unit, once, and nothing else', async () => {
    const due = new Date('2025-11-24T18:00:00+08:00');
    const late = await insertWorkOrder(get().db, { state: 'notified', dueAt: due });
    const rejected = await insertWorkOrder(get().db, { state: 'rejected', dueAt: due });
    const notYet = await insertWorkOrder(get().db, { state: 'notified', dueAt: new Date(due.getTime() + 60_000) });
    const replied = await insertWorkOrder(get().db, { state: 'replied', dueAt: due });
    const runner = new JobRunner(ctx, [overdueSweepJob('* * * * *')], 'a');
    expect((await runner.tick(new Date('2025-11-24T17:59:00+08:00'))).jobs[0].result).toEqual({ flagged: 0 });
    expect((await runner.tick(due)).jobs[0].result).toEqual({ flagged: 2 });
    expect((await runner.tick(new Date('2025-11-24T18:01:00+08:00'))).jobs[0].result).toEqual({ flagged: 1 });
    expect((await runner.tick(new Date('2025-11-24T18:02:00+08:00'))).jobs[0].result).toEqual({ flagged: 0 });
    const flags = await Promise.all([late, rejected, notYet, replied].map(async (id) => (await ctx.workOrders.get(id))!.overdue));
    expect(flags).toEqual([true, true, true, false]);
    expect((await ctx.events.list({ type: 'work_order.overdue' })).length).toBe(3);
  });
});

describe('two instances on one PostgreSQL', () => {
  const maybe = process.env.TEST_DATABASE_URL ? it : it.skip;
  maybe('run each slot of each job exactly once', async () => {
    const t = await openTestDb('postgres');
    const other = createDb(t.url, { schema: t.schema, poolMax: 5 });
    try {
      const clock = new ManualClock('2025-11-24T01:00:00Z');
      const ctxA = await createContext(testConfig(), { db: t.db, clock, migrate: false });
      const ctxB = await createContext(testConfig(), { db: other, clock, migrate: false });
      const slow = (name: string) => {
        const runs: string[] = [];
        const job: Job = {
          name,
          title: name,
          cron: '* * * * *',
          async run({ slot }) {
            runs.push(slot.toISOString());
            await new Promise((r) => setTimeout(r, 20));
            return {};
          },
        };
        return { job, runs };
      };
      const j1 = slow('j1');
      const j2 = slow('j2');
      const a = new JobRunner(ctxA, [j1.job, j2.job], 'A');
      const b = new JobRunner(ctxB, [j1.job, j2.job], 'B');
      for (let m = 0; m < 5; m++) {
        const at = new Date(Date.UTC(2025, 10, 24, 1, m, 10));
        // Both instances tick the same minute, twice, concurrently.
        await Promise.all([a.tick(at), b.tick(at), a.tick(at), b.tick(at)]);
      }
      // A tick that found the job locked by the other instance retries the slot on a later tick.
      for (let m = 0; m < 5; m++) {
        const at = new Date(Date.UTC(2025, 10, 24, 1, m, 50));
        await Promise.all([a.tick(at), b.tick(at)]);
      }
      for (const { runs } of [j1, j2]) {
        expect(runs.length).toBe(new Set(runs).size);
        expect(runs.length).toBe(5);
      }
    } finally {
      await other.destroy();
      await t.destroy();
    }
  });
});
