/**
 * The year end without next year's arrangement: the weekly chat warning to admins runs in
 * November and December only, only while the arrangement is missing, once per slot however
 * many instances tick; the admins' digest carries the warning from 1 November.
 */
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { parseArrangementFile } from '../../src/domain/calendar/arrangement';
import { addDays } from '../../src/domain/calendar/dates';
import { calendarWarningJob } from '../../src/jobs/calendar';
import { JobRunner } from '../../src/jobs/runner';
import { silentLogger } from '../../src/logger';
import { describeEachDb } from '../support/db';
import { testConfig } from '../support/config';
import { packagedUpTo } from '../support/calendar';

const FIX = path.join(__dirname, '..', 'fixtures', 'conversation');

describeEachDb('year-end warnings', (get) => {
  let ctx: AppContext;
  let clock: ManualClock;

  const setup = async (env: Record<string, string> = {}) => {
    clock = new ManualClock('2026-01-01T00:00:00Z');
    ctx = await createContext(testConfig(env), { db: get().db, migrate: false, clock, logger: silentLogger, packagedCalendar: () => packagedUpTo(2026) });
    await ctx.chat.contacts.importFile(path.join(FIX, 'contacts.csv'));
  };
  const warnings = async () =>
    (await ctx.db('outbox').where({ touser: 'admin1', purpose: 'admin_notice' }).orderBy('id').select('idempotency_key', 'payload')).map((r: any) => ({
      key: r.idempotency_key as string,
      text: JSON.parse(r.payload).text.content as string,
    }));
  const load2027 = () =>
    ctx.calendar.loadArrangement(parseArrangementFile(JSON.stringify({ year: 2027, days: [{ name: '元旦', date: '2027-01-01', isOffDay: true }] })), '2027.json', 'test');

  it.each([
    ['the default schedule', {}],
    ['a schedule for every Monday of the year', { JOB_CALENDAR_WARNING_CRON: '0 10 * * 1' }],
  ])('runs weekly in November and December only, while 2027 is missing (%s)', async (_label, env) => {
    await setup(env);
    const job = calendarWarningJob(ctx.config.jobs.calendarWarningCron);
    const a = new JobRunner(ctx, [job], 'a');
    const b = new JobRunner(ctx, [job], 'b');
    // Every day of 2026 at 10:05 Beijing time, on two instances.
    for (let d = '2026-01-01'; d <= '2026-12-31'; d = addDays(d, 1)) {
      const at = new Date(`${d}T10:05:00+08:00`);
      clock.set(at);
      await a.tick(at);
      await b.tick(at);
    }
    const sent = await warnings();
    expect(sent.map((w) => w.key)).toEqual(
      ['2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30', '2026-12-07', '2026-12-14', '2026-12-21', '2026-12-28'].map(
        (d) => `calendar_missing:2027:${d}:admin1`,
      ),
    );
    expect(sent[0].text).toContain('截至2026年11月2日，2027年节假日安排尚未导入');
    expect(new Set(sent.map((w) => w.text)).size).toBe(sent.length);
    expect(await ctx.events.list({ type: 'calendar.year_missing_warned' })).toHaveLength(9);
  });

  it('stops once the arrangement is loaded', async () => {
    await setup();
    const runner = new JobRunner(ctx, [calendarWarningJob(ctx.config.jobs.calendarWarningCron)], 'a');
    const monday = new Date('2026-11-09T10:05:00+08:00');
    clock.set(monday);
    expect((await runner.tick(monday)).jobs[0]).toMatchObject({ status: 'ran', result: { missing_year: 2027, messages: 1 } });
    await load2027();
    const next = new Date('2026-11-16T10:05:00+08:00');
    clock.set(next);
    expect((await runner.tick(next)).jobs[0]).toMatchObject({ status: 'ran', result: { missing_year: null, messages: 0 } });
    expect(await warnings()).toHaveLength(1);
  });

  it("puts the warning in the admins' digest from 1 November, even when nothing else is due", async () => {
    await setup();
    const digestOf = async (iso: string) => {
      const at = new Date(iso);
      clock.set(at);
      await ctx.followup.digests(at);
      const row = await ctx.db('outbox').where({ touser: 'admin1', purpose: 'digest' }).where('idempotency_key', 'like', `digest:${iso.slice(0, 10)}:%`).first();
      return row ? (JSON.parse(row.payload).text.content as string) : null;
    };
    expect(await digestOf('2026-10-30T09:00:00+08:00')).toBeNull();
    const nov = await digestOf('2026-11-02T09:00:00+08:00');
    expect(nov!.split('\n')).toEqual([expect.stringContaining('【督办日报 · 全市】'), '⚠ 2027年节假日安排尚未导入，跨年期限暂按放假办法计算，请在公布后及时导入。']);
    await load2027();
    expect(await digestOf('2026-11-03T09:00:00+08:00')).toBeNull();
  });
});
