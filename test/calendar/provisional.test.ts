import { spawnSync } from 'node:child_process';
import { addDays, formatInstant, isWeekend } from '../../src/domain/calendar/dates';
import { CalendarDataMissingError } from '../../src/domain/calendar/calendar';
import { lawHolidays } from '../../src/domain/calendar/holiday-law';
import { computeDueDetailed, decideDeadline } from '../../src/domain/deadlines/deadline';
import { STATE_COUNCIL } from '../fixtures/state-council';
import { calendarUpTo } from '../support/calendar';
import { ROOT } from '../support/spawn';

const settings = { zone: 'Asia/Shanghai', cutoff: '18:00', defaultWorkingDays: 1 };
const iso = (d: Date) => formatInstant(d, settings.zone);
const oneDay = { amount: 1, unit: 'working_days' as const };

/**
 * The library's own answers, computed another way (lunar → solar conversion and the solar-term
 * list rather than the solar → lunar scan the calendar uses), in a process on Beijing time,
 * where those functions of chinese-days read their dates correctly.
 */
function libraryOracle(years: number[]): Record<number, { newYear: string; dragonBoat: string; midAutumn: string; qingming: string }> {
  const script = `
    const cd = require('chinese-days');
    const out = {};
    for (const y of ${JSON.stringify(years)}) {
      out[y] = {
        newYear: cd.getSolarDateFromLunar(y + '-01-01').date,
        dragonBoat: cd.getSolarDateFromLunar(y + '-05-05').date,
        midAutumn: cd.getSolarDateFromLunar(y + '-08-15').date,
        qingming: cd.getSolarTerms(y + '-04-01', y + '-04-30').find((t) => t.term === 'pure_brightness').date,
      };
    }
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env: { ...process.env, TZ: 'Asia/Shanghai' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('the provisional year after the last year with data', () => {
  const cal = calendarUpTo(2026);

  it('is the year after the last covered one, and only that year', () => {
    expect(cal.provisionalYear()).toBe(2027);
    expect(cal.hasYear(2027)).toBe(false);
    expect(() => cal.day('2028-01-03')).toThrow(CalendarDataMissingError);
    expect(() => cal.day('2028-01-03')).toThrow('2028年节假日安排未配置');
  });

  it('from 2026-12-31 10:00, 1 working day → 2027-01-04 18:00, provisional', () => {
    const r = computeDueDetailed(new Date('2026-12-31T10:00+08:00'), oneDay, cal, settings);
    expect(iso(r.due)).toBe('2027-01-04T18:00:00+08:00');
    expect(r.provisional).toBe(true);
  });

  it('from 2027-02-04 10:00 → 2027-02-09 18:00 (除夕 5 Feb to 初三 8 Feb)', () => {
    const r = computeDueDetailed(new Date('2027-02-04T10:00+08:00'), oneDay, cal, settings);
    expect(iso(r.due)).toBe('2027-02-09T18:00:00+08:00');
    expect(r.provisional).toBe(true);
    expect(cal.range('2027-02-05', '2027-02-08').map((d) => [d.workday, d.name])).toEqual(Array(4).fill([false, '春节']));
    expect(cal.isWorkday('2027-02-04')).toBe(true);
  });

  it('two years ahead is still an error', () => {
    expect(() => computeDueDetailed(new Date('2027-12-31T10:00+08:00'), oneDay, cal, settings)).toThrow('2028年节假日安排未配置');
  });

  it('a deadline inside years with data is not provisional', () => {
    const r = computeDueDetailed(new Date('2026-12-29T10:00+08:00'), oneDay, cal, settings);
    expect(iso(r.due)).toBe('2026-12-30T18:00:00+08:00');
    expect(r.provisional).toBe(false);
    // A calendar-day rule ending in the provisional year counts over it.
    const c = computeDueDetailed(new Date('2026-12-29T10:00+08:00'), { amount: 3, unit: 'calendar_days' }, cal, settings);
    expect([iso(c.due), c.provisional]).toEqual(['2027-01-04T18:00:00+08:00', true]);
    // A due date given on the order or by the notice is not counted at all.
    const d = decideDeadline({ notifiedAt: new Date('2026-12-31T10:00+08:00'), noticeReportDueOn: '2027-01-08', categories: [] }, [], cal, settings);
    expect([iso(d.due), d.provisional]).toEqual(['2027-01-08T18:00:00+08:00', false]);
    const e = decideDeadline({ notifiedAt: new Date('2026-12-31T10:00+08:00'), categories: [] }, [], cal, settings);
    expect([iso(e.due), e.provisional, e.basis]).toEqual(['2027-01-04T18:00:00+08:00', true, 'default']);
  });

  it('has the law holidays of 2027: 清明 5 Apr, 劳动节 1–2 May, 国庆 1–3 Oct, no make-up days', () => {
    const off = cal.range('2027-01-01', '2027-12-31').filter((d) => !d.workday && !isWeekend(d.date));
    const makeup = cal.range('2027-01-01', '2027-12-31').filter((d) => d.workday && isWeekend(d.date));
    expect(makeup).toEqual([]);
    expect(cal.day('2027-04-05')).toMatchObject({ workday: false, name: '清明节', source: 'provisional' });
    expect(cal.day('2027-01-01')).toMatchObject({ workday: false, name: '元旦' });
    expect(cal.day('2027-05-03')).toMatchObject({ workday: true }); // 1–2 May are a weekend: no day in lieu
    expect(cal.range('2027-10-01', '2027-10-03').every((d) => !d.workday && d.name === '国庆节')).toBe(true);
    // Weekdays off: 元旦 (Fri), 春节 5 and 8 Feb, 清明 (Mon), 端午, 中秋, 国庆 1 Oct (Fri).
    expect(off.map((d) => d.date)).toEqual(['2027-01-01', '2027-02-05', '2027-02-08', '2027-04-05', '2027-06-09', '2027-09-15', '2027-10-01']);
  });

  it('takes 端午, 中秋, 清明 and 除夕 from the library, as its other functions compute them', () => {
    const years = [2027, 2028, 2029, 2030, 2031, 2033, 2035];
    const oracle = libraryOracle(years);
    expect(oracle[2027]).toEqual({ newYear: '2027-02-06', dragonBoat: '2027-06-09', midAutumn: '2027-09-15', qingming: '2027-04-05' });
    for (const y of years) {
      const named = (name: string) => lawHolidays(y).filter((d) => d.name.split('、').includes(name)).map((d) => d.date);
      expect([y, named('清明节')]).toEqual([y, [oracle[y].qingming]]);
      expect([y, named('端午节')]).toEqual([y, [oracle[y].dragonBoat]]);
      expect([y, named('中秋节')]).toEqual([y, [oracle[y].midAutumn]]);
      // 除夕 is the day before 正月初一, whether the 12th month has 29 or 30 days.
      expect([y, named('春节')]).toEqual([y, [-1, 0, 1, 2].map((i) => addDays(oracle[y].newYear, i))]);
    }
  });

  it('agrees with the State Council on 2025 and 2026 where the law alone decides (holidays on weekdays)', () => {
    // The law's days for years with data are inside the published holiday blocks.
    for (const year of [2025, 2026]) {
      const oracle = STATE_COUNCIL[year];
      const published = new Set<string>();
      for (const [from, to] of oracle.off) for (let d = from; d <= to; d = addDays(d, 1)) published.add(d);
      const outside = lawHolidays(year).filter((d) => !published.has(d.date)).map((d) => d.date);
      expect([year, outside]).toEqual([year, []]);
    }
  });

  it('names 中秋 and 国庆 together when they fall on the same day (2028-10-03)', () => {
    const days = lawHolidays(2028).filter((d) => d.date >= '2028-10-01' && d.date <= '2028-10-03');
    expect(days.map((d) => d.name)).toEqual(['国庆节', '国庆节', '国庆节、中秋节']);
  });
});
