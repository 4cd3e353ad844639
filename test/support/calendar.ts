/** Calendars for tests whose expectations must not move when chinese-days publishes a new year. */
import { WorkCalendar, type CalendarData } from '../../src/domain/calendar/calendar';
import { yearOf } from '../../src/domain/calendar/dates';
import { packagedCalendar } from '../../src/domain/calendar/packaged';

/** The packaged data cut after `last`: the year after it is the provisional one. */
export function packagedUpTo(last: number): CalendarData['packaged'] {
  const p = packagedCalendar();
  return {
    years: new Set([...p.years].filter((y) => y <= last)),
    days: new Map([...p.days].filter(([date]) => yearOf(date) <= last)),
  };
}

export function calendarUpTo(last: number, extra: Partial<CalendarData> = {}): WorkCalendar {
  return new WorkCalendar({ packaged: packagedUpTo(last), arrangements: [], overrides: [], ...extra });
}
