/**
 * Quiet hours: product messages go out only within working hours on working days. A message
 * asked for outside them is held until the start of the next working period (the outbox's
 * not-before), unless its purpose is one the admins allow at any time.
 */
import type { WorkCalendar } from '../calendar/calendar';
import { addDays, businessDate, instantAt } from '../calendar/dates';

export interface WorkHours {
  /** HH:MM, business time. */
  start: string;
  /** HH:MM, business time; after start. */
  end: string;
}

export function parseWorkHours(text: string): WorkHours | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (!m) return null;
  const start = `${m[1]}:${m[2]}`;
  const end = `${m[3]}:${m[4]}`;
  return start < end ? { start, end } : null;
}

/** The first instant at or after `at` that is within working hours of a working day. */
export function nextSendable(at: Date, calendar: WorkCalendar, zone: string, hours: WorkHours): Date {
  let date = businessDate(at, zone);
  for (let i = 0; i < 400; i++) {
    if (calendar.isWorkday(date)) {
      const start = instantAt(date, hours.start, zone);
      const end = instantAt(date, hours.end, zone);
      if (at.getTime() < start.getTime()) return start;
      if (at.getTime() < end.getTime()) return at;
    }
    date = addDays(date, 1);
    at = instantAt(date, '00:00', zone);
  }
  throw new Error('一年内没有可发送消息的工作时间，请检查日历设置');
}

export function isQuiet(at: Date, calendar: WorkCalendar, zone: string, hours: WorkHours): boolean {
  return nextSendable(at, calendar, zone, hours).getTime() !== at.getTime();
}
