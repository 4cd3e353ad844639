/**
 * The year end without next year's arrangement. From 1 November, while the next year has no
 * holiday data (packaged or loaded), admins are warned: a line in their daily digest and, weekly,
 * a chat message (the calendar_warning job). Until the arrangement is loaded, deadlines that
 * reach into that year are provisional (holiday-law.ts).
 */
import type { Knex } from 'knex';
import type { Contact } from '../contacts/service';
import type { Messenger } from '../conversation/messenger';
import type { EventLog } from '../events/events';
import type { MessageTemplates } from '../messages/templates';
import type { WorkCalendar } from './calendar';
import { businessDate } from './dates';

/** Warnings start on this month (1-based) and run to the end of the year. */
export const WARNING_FROM_MONTH = 11;

/** The next year, when `at` is in November or December and that year has no arrangement; else null. */
export function missingNextYear(calendar: WorkCalendar, at: Date, zone: string): number | null {
  const today = businessDate(at, zone);
  const year = Number(today.slice(0, 4));
  if (Number(today.slice(5, 7)) < WARNING_FROM_MONTH) return null;
  return calendar.hasYear(year + 1) ? null : year + 1;
}

/**
 * The admins' digest with the warning as its second line (after the header); when the digest
 * had nothing else to say, the header and the warning alone.
 */
export async function withYearEndWarning(
  digest: string | null,
  year: number | null,
  templates: MessageTemplates,
  header: () => Promise<string>,
): Promise<string | null> {
  if (year === null) return digest;
  const line = await templates.render('digest.calendar_missing', { year });
  if (!digest) return `${await header()}\n${line}`;
  const [first, ...rest] = digest.split('\n');
  return [first, line, ...rest].join('\n');
}

export interface YearEndDeps {
  db: Knex;
  messenger: Messenger;
  templates: MessageTemplates;
  events: EventLog;
}

/** The weekly chat warning to each admin; keyed by year and date, so a slot run again sends nothing twice. */
export async function warnAdmins(
  d: YearEndDeps,
  admins: Contact[],
  calendar: WorkCalendar,
  at: Date,
  zone: string,
): Promise<{ year: number | null; messages: number }> {
  const year = missingNextYear(calendar, at, zone);
  if (year === null || !admins.length) return { year, messages: 0 };
  const today = businessDate(at, zone);
  // The date tells each week's message from the one before.
  const date = `${Number(today.slice(0, 4))}年${Number(today.slice(5, 7))}月${Number(today.slice(8, 10))}日`;
  const text = await d.templates.render('admin.calendar_missing', { year, date });
  let messages = 0;
  await d.db.transaction(async (trx) => {
    for (const a of admins) {
      const r = await d.messenger.send(
        { key: `calendar_missing:${year}:${today}:${a.userid}`, touser: a.userid, purpose: 'admin_notice', contactId: a.id, message: text },
        trx,
      );
      if (r.created) messages++;
    }
    if (messages) {
      await d.events.append({ type: 'calendar.year_missing_warned', actor: 'system', at, data: { year, admins: admins.map((a) => a.userid) } }, trx);
    }
  });
  return { year, messages };
}
