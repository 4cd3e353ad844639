import { WorkCalendar } from '../../src/domain/calendar/calendar';
import { packagedCalendar } from '../../src/domain/calendar/packaged';
import { formatInstant } from '../../src/domain/calendar/dates';
import { computeDue, decideDeadline, type DeadlineRule } from '../../src/domain/deadlines/deadline';

const cal = new WorkCalendar({ packaged: packagedCalendar(), arrangements: [], overrides: [] });
const settings = { zone: 'Asia/Shanghai', cutoff: '18:00', defaultWorkingDays: 1 };
const iso = (d: Date) => formatInstant(d, settings.zone);

describe('the default rule: due at the cutoff of the N-th working day after the business date', () => {
  it.each([
    ['2025-09-30T16:00+08:00', '2025-10-09T18:00:00+08:00'], // across 国庆节、中秋节
    ['2026-02-13T10:00+08:00', '2026-02-14T18:00:00+08:00'], // a Saturday make-up day
    ['2021-08-23T09:00+08:00', '2021-08-24T18:00:00+08:00'],
    ['2025-11-22T11:00+08:00', '2025-11-24T18:00:00+08:00'], // notified on a Saturday
    ['2025-09-30T23:30+08:00', '2025-10-09T18:00:00+08:00'], // after the cutoff: still the same business date
    ['2025-09-30T17:30:00Z', '2025-10-09T18:00:00+08:00'], // 01:30 on Oct 1 in Beijing: a holiday
  ])('%s → %s', (from, due) => {
    expect(iso(computeDue(new Date(from), { amount: 1, unit: 'working_days' }, cal, settings))).toBe(due);
  });

  it('uses the business time zone, not UTC, for the business date', () => {
    // 2025-11-21T20:00Z is Saturday 04:00 in Beijing: the next working day is Monday the 24th.
    expect(iso(computeDue(new Date('2025-11-21T20:00:00Z'), { amount: 1, unit: 'working_days' }, cal, settings))).toBe(
      '2025-11-24T18:00:00+08:00',
    );
  });

  it('counts several working days and honours a rule cutoff', () => {
    const from = new Date('2025-09-26T10:00+08:00'); // a Friday; Sunday the 28th is a make-up day
    const spec = (amount: number) => ({ amount, unit: 'working_days' as const, cutoff: '17:30' });
    expect(iso(computeDue(from, spec(1), cal, settings))).toBe('2025-09-28T17:30:00+08:00');
    expect(iso(computeDue(from, spec(3), cal, settings))).toBe('2025-09-30T17:30:00+08:00');
    expect(iso(computeDue(from, spec(4), cal, settings))).toBe('2025-10-09T17:30:00+08:00');
  });

  it('refuses a non-positive amount', () => {
    expect(() => computeDue(new Date(), { amount: 0, unit: 'working_days' }, cal, settings)).toThrow(RangeError);
  });
});

describe('calendar-day rules', () => {
  it('count calendar days and move a due date that falls on a day off to the next working day', () => {
    const spec = { amount: 3, unit: 'calendar_days' as const };
    expect(iso(computeDue(new Date('2025-11-17T10:00+08:00'), spec, cal, settings))).toBe('2025-11-20T18:00:00+08:00');
    // Sept 30 + 3 = Oct 3, inside the holiday: moved to Oct 9.
    expect(iso(computeDue(new Date('2025-09-30T10:00+08:00'), spec, cal, settings))).toBe('2025-10-09T18:00:00+08:00');
  });
});

describe('which deadline applies to a work order', () => {
  const notifiedAt = new Date('2025-11-17T10:00+08:00'); // a Monday
  const rule = (id: number, r: Partial<DeadlineRule>): DeadlineRule => ({
    id,
    source: null,
    targetKind: null,
    category: null,
    amount: 1,
    unit: 'working_days',
    cutoff: null,
    active: true,
    note: null,
    ...r,
  });
  const rules = [
    rule(1, { amount: 5 }),
    rule(2, { targetKind: 'newmedia', amount: 4 }),
    rule(3, { category: 'closure', amount: 3 }),
    rule(4, { category: 'wording_error', amount: 2 }),
    rule(5, { category: 'closure', targetKind: 'newmedia', amount: 10, active: false }),
  ];
  const decide = (input: Partial<Parameters<typeof decideDeadline>[0]>, rs = rules) =>
    decideDeadline({ notifiedAt, categories: [], ...input }, rs, cal, settings);

  it('a due date on the work order beats everything', () => {
    const d = decide({ dueOnOverride: '2025-11-28', noticeReportDueOn: '2025-11-25', categories: ['closure'] });
    expect([d.basis, iso(d.due)]).toEqual(['work_order', '2025-11-28T18:00:00+08:00']);
  });

  it("the notice's report due date beats the rules", () => {
    const d = decide({ noticeReportDueOn: '2025-11-25', categories: ['closure'] });
    expect([d.basis, iso(d.due)]).toEqual(['notice', '2025-11-25T18:00:00+08:00']);
  });

  it('the most specific matching rule wins; inactive rules never match', () => {
    const d = decide({ targetKind: 'newmedia', categories: ['closure'] });
    expect([d.basis, d.ruleId, iso(d.due)]).toEqual(['rule', 3, '2025-11-20T18:00:00+08:00']);
    expect(decide({ targetKind: 'newmedia', categories: ['other'] }).ruleId).toBe(2);
    expect(decide({ targetKind: 'website', categories: ['other'] }).ruleId).toBe(1);
  });

  it('between equally specific rules (two categories), the earliest due wins', () => {
    const d = decide({ categories: ['closure', 'wording_error'] });
    expect([d.ruleId, iso(d.due)]).toEqual([4, '2025-11-19T18:00:00+08:00']);
  });

  it('with no rule, the default of one working day applies', () => {
    const d = decide({ categories: ['closure'] }, []);
    expect([d.basis, iso(d.due)]).toEqual(['default', '2025-11-18T18:00:00+08:00']);
  });
});
