import { STATE_COUNCIL } from '../fixtures/state-council';
import { addDays, isWeekend } from '../../src/domain/calendar/dates';
import { CalendarDataMissingError, WorkCalendar } from '../../src/domain/calendar/calendar';
import { packagedCalendar } from '../../src/domain/calendar/packaged';
import { ArrangementFileError, parseArrangementFile } from '../../src/domain/calendar/arrangement';
import { packagedUpTo } from '../support/calendar';

function calendar(extra: Partial<ConstructorParameters<typeof WorkCalendar>[0]> = {}) {
  return new WorkCalendar({ packaged: packagedCalendar(), arrangements: [], overrides: [], ...extra });
}

describe('the working-day calendar against the State Council notices, 2021–2026', () => {
  const cal = calendar();
  for (const [yearText, oracle] of Object.entries(STATE_COUNCIL)) {
    const year = Number(yearText);
    it(`agrees on every day of ${year}`, () => {
      const offName = new Map<string, string>();
      for (const [from, to, name] of oracle.off) for (let d = from; d <= to; d = addDays(d, 1)) offName.set(d, name);
      const makeup = new Set(oracle.work);
      const disagreements: string[] = [];
      for (let d = `${year}-01-01`; d <= `${year}-12-31`; d = addDays(d, 1)) {
        const expected = makeup.has(d) ? true : offName.has(d) ? false : !isWeekend(d);
        const day = cal.day(d);
        if (day.workday !== expected) disagreements.push(`${d}: expected ${expected}, got ${day.workday}`);
        if (offName.has(d) && day.name !== offName.get(d)) disagreements.push(`${d}: name ${day.name} ≠ ${offName.get(d)}`);
        if (makeup.has(d) && day.type !== 'makeup') disagreements.push(`${d}: type ${day.type} ≠ makeup`);
      }
      expect(disagreements).toEqual([]);
    });
  }

  it('names a make-up day after its holiday block', () => {
    expect(cal.day('2025-09-28')).toMatchObject({ workday: true, type: 'makeup', name: '国庆节、中秋节' });
    expect(cal.day('2025-10-08')).toMatchObject({ workday: false, type: 'holiday', name: '国庆节、中秋节' });
    expect(cal.day('2025-11-24')).toMatchObject({ workday: true, type: 'workday', name: null });
    expect(cal.day('2025-11-22')).toMatchObject({ workday: false, type: 'weekend', name: null });
  });
});

describe('a year without data', () => {
  it('is an error naming the year, never a Monday–Friday fallback (beyond the provisional year)', () => {
    const cal = calendar({ packaged: packagedUpTo(2026) });
    expect(() => cal.day('2028-01-04')).toThrow(CalendarDataMissingError);
    expect(() => cal.day('2028-01-04')).toThrow('2028年节假日安排未配置');
    expect(() => cal.addWorkingDays('2027-12-31', 1)).toThrow('2028年节假日安排未配置');
    expect(cal.day('2027-01-04')).toMatchObject({ workday: true, source: 'provisional' });
  });

  it('becomes usable once its arrangement is loaded, which replaces packaged data', () => {
    const a2027 = parseArrangementFile(
      JSON.stringify({
        year: 2027,
        days: [
          { name: '元旦', date: '2027-01-01', isOffDay: true },
          { name: '春节', date: '2027-02-06', isOffDay: false },
          { name: '春节', date: '2027-02-08', isOffDay: true },
        ],
      }),
    );
    const cal = calendar({ packaged: packagedUpTo(2026), arrangements: [a2027] });
    expect(cal.provisionalYear()).toBe(2028);
    expect(cal.day('2027-01-01')).toMatchObject({ workday: false, name: '元旦', source: 'arrangement' });
    expect(cal.day('2027-02-06')).toMatchObject({ workday: true, type: 'makeup', name: '春节' });
    expect(cal.day('2027-01-04')).toMatchObject({ workday: true, type: 'workday' });
    expect(cal.addWorkingDays('2026-12-31', 1)).toBe('2027-01-04');
    // A loaded 2026 file replaces the package's 2026 data entirely.
    const only = parseArrangementFile(JSON.stringify({ year: 2026, days: [{ name: '测试', date: '2026-03-02', isOffDay: true }] }));
    const replaced = calendar({ arrangements: [only] });
    expect(replaced.isWorkday('2026-10-01')).toBe(true);
    expect(replaced.isWorkday('2026-03-02')).toBe(false);
  });
});

describe('admin overrides', () => {
  it('win over every other source and carry their reason as the name', () => {
    const cal = calendar({
      packaged: packagedUpTo(2026),
      overrides: [
        { date: '2025-11-24', workday: false, reason: '台风停工' },
        { date: '2025-10-08', workday: true, reason: '全员值班' },
        { date: '2028-03-01', workday: true, reason: '单独设定' },
        { date: '2027-04-05', workday: true, reason: '单独设定' },
      ],
    });
    expect(cal.day('2025-11-24')).toMatchObject({ workday: false, type: 'holiday', name: '台风停工', source: 'override' });
    expect(cal.day('2025-10-08')).toMatchObject({ workday: true, source: 'override' });
    expect(cal.day('2028-03-01').workday).toBe(true);
    expect(() => cal.day('2028-03-02')).toThrow(CalendarDataMissingError);
    // Over a provisional holiday too.
    expect(cal.day('2027-04-05')).toMatchObject({ workday: true, source: 'override' });
  });
});

describe('working-day arithmetic', () => {
  const cal = calendar();
  it('counts strictly after the start date', () => {
    expect(cal.addWorkingDays('2025-09-30', 1)).toBe('2025-10-09');
    expect(cal.addWorkingDays('2025-09-30', 3)).toBe('2025-10-11'); // Saturday make-up day
    expect(cal.addWorkingDays('2025-11-22', 1)).toBe('2025-11-24');
    expect(cal.workingDaysBetween('2025-09-29', '2025-10-09')).toBe(2);
    expect(cal.workdayOnOrAfter('2025-10-04')).toBe('2025-10-09');
    expect(() => cal.addWorkingDays('2025-01-01', 0)).toThrow(RangeError);
  });
});

describe('arrangement files', () => {
  it.each([
    ['not JSON', '{', '不是有效的 JSON'],
    ['wrong shape', '{"year":2027}', 'days'],
    ['an impossible date', '{"year":2027,"days":[{"name":"x","date":"2027-02-30","isOffDay":true}]}', '日期无效'],
    ['a date of another year', '{"year":2027,"days":[{"name":"x","date":"2028-01-01","isOffDay":true}]}', '不属于 2027 年'],
    ['a repeated date', '{"year":2027,"days":[{"name":"x","date":"2027-01-01","isOffDay":true},{"name":"y","date":"2027-01-01","isOffDay":true}]}', '重复'],
  ])('refuses %s', (_label, text, message) => {
    expect(() => parseArrangementFile(text)).toThrow(ArrangementFileError);
    expect(() => parseArrangementFile(text)).toThrow(message);
  });

  it('accepts 元旦 starting on Dec 31 of the year before, and a BOM', () => {
    const a = parseArrangementFile('\uFEFF{"year":2023,"days":[{"name":"元旦","date":"2022-12-31","isOffDay":true}]}');
    expect(a.days).toEqual([{ date: '2022-12-31', offDay: true, name: '元旦' }]);
  });
});
