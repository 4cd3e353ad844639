/**
 * How a deadline reads in messages, the console's texts and the CLI. A provisional deadline
 * (counted over days of the year whose arrangement is not yet published, see
 * domain/calendar/holiday-law.ts) carries a note naming that year, which is the due date's year.
 */
import { businessDate, formatInstantZh, yearOf } from '../calendar/dates';

/** （暂定，待国务院办公厅公布2027年安排后确认） for a provisional deadline due at `due`. */
export function provisionalNote(due: Date, zone: string): string {
  return `（暂定，待国务院办公厅公布${yearOf(businessDate(due, zone))}年安排后确认）`;
}

/** 2027年1月4日（周一）18:00, followed by the note when provisional. */
export function formatDueZh(due: Date, provisional: boolean, zone: string): string {
  return formatInstantZh(due, zone) + (provisional ? provisionalNote(due, zone) : '');
}
