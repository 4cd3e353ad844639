import { WorkCalendar } from '../src/domain/calendar/calendar';
import { packagedCalendar } from '../src/domain/calendar/packaged';
import { formatInstant } from '../src/domain/calendar/dates';
import { isQuiet, nextSendable, parseWorkHours } from '../src/domain/followup/quiet-hours';
import { DEFAULT_LADDER, dueLadderSteps, formatLadder, ladderSchedule, LadderError, parseLadder } from '../src/domain/followup/ladder';

const cal = new WorkCalendar({ packaged: packagedCalendar(), arrangements: [], overrides: [] });
const zone = 'Asia/Shanghai';
const hours = parseWorkHours('08:30-18:00')!;
const at = (s: string) => new Date(s);
const iso = (d: Date) => formatInstant(d, zone);

describe('quiet hours', () => {
  it.each([
    ['2025-11-24T10:00+08:00', '2025-11-24T10:00:00+08:00'], // Monday, within hours
    ['2025-11-24T07:00+08:00', '2025-11-24T08:30:00+08:00'], // before start
    ['2025-11-24T18:00+08:00', '2025-11-25T08:30:00+08:00'], // at the end: next morning
    ['2025-11-21T19:00+08:00', '2025-11-24T08:30:00+08:00'], // Friday evening → Monday
    ['2025-09-30T20:00+08:00', '2025-10-09T08:30:00+08:00'], // into the National Day holiday
    ['2025-10-11T07:59+08:00', '2025-10-11T08:30:00+08:00'], // a Saturday make-up day
  ])('a message asked for at %s goes at %s', (when, expected) => {
    expect(iso(nextSendable(at(when), cal, zone, hours))).toBe(expected);
  });

  it('knows quiet from working time', () => {
    expect(isQuiet(at('2025-11-22T10:00+08:00'), cal, zone, hours)).toBe(true);
    expect(isQuiet(at('2025-11-24T10:00+08:00'), cal, zone, hours)).toBe(false);
  });

  it.each(['8:30-18:00', '18:00-08:30', '08:30', '08:30-24:00'])('refuses work hours %s', (text) => {
    expect(parseWorkHours(text)).toBeNull();
  });
});

describe('the escalation ladder', () => {
  it('parses, validates and prints', () => {
    expect(parseLadder('primary:0,backup:1,leader:2,supervisor:3')).toEqual(DEFAULT_LADDER);
    expect(formatLadder(DEFAULT_LADDER)).toBe('primary:0,backup:1,leader:2,supervisor:3');
    expect(() => parseLadder('boss:1')).toThrow(LadderError);
    expect(() => parseLadder('primary:2,backup:1')).toThrow('逐级不减');
    expect(() => parseLadder('')).toThrow('至少需要一级');
  });

  it('takes one step per working day from the first working morning, skipping days off', () => {
    const overdue = at('2025-09-29T18:00+08:00'); // Monday's cutoff; Oct 1–8 is a holiday
    const schedule = ladderSchedule(DEFAULT_LADDER, overdue, cal, zone, hours);
    expect(schedule.map(iso)).toEqual([
      '2025-09-30T08:30:00+08:00', // primary: the next working morning (18:00 is after hours)
      '2025-10-09T08:30:00+08:00', // backup: one working day later, after the holiday
      '2025-10-10T08:30:00+08:00', // leader
      '2025-10-11T08:30:00+08:00', // supervisor: Saturday Oct 11 is a make-up working day
    ]);
    expect(dueLadderSteps(schedule, at('2025-09-29T18:00+08:00'), 0)).toEqual([]);
    expect(dueLadderSteps(schedule, at('2025-09-30T08:30+08:00'), 0)).toEqual([1]);
    expect(dueLadderSteps(schedule, at('2025-10-05T09:00+08:00'), 1)).toEqual([]); // holiday
    expect(dueLadderSteps(schedule, at('2025-10-09T09:00+08:00'), 1)).toEqual([2]);
    expect(dueLadderSteps(schedule, at('2025-10-13T09:00+08:00'), 4)).toEqual([]); // top of the ladder
    // After downtime every missed step is due at once.
    expect(dueLadderSteps(schedule, at('2025-10-11T09:00+08:00'), 1)).toEqual([2, 3, 4]);
  });

  it('without quiet hours starts at the overdue instant and keeps its time of day', () => {
    const schedule = ladderSchedule(parseLadder('primary:0,leader:2'), at('2025-11-21T17:00+08:00'), cal, zone, null);
    expect(schedule.map(iso)).toEqual(['2025-11-21T17:00:00+08:00', '2025-11-25T17:00:00+08:00']);
  });
});
