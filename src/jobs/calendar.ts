/**
 * calendar_warning: weekly in November and December (JOB_CALENDAR_WARNING_CRON), while next
 * year's holiday arrangement is not loaded, each admin is told in chat (src/domain/calendar/year-end.ts).
 * The runner's (job, slot) row keeps two instances from both sending; the outbox keys keep a
 * retried slot from sending twice.
 */
import { warnAdmins } from '../domain/calendar/year-end';
import type { Job } from './types';

export function calendarWarningJob(cron: string): Job {
  return {
    name: 'calendar_warning',
    title: '明年节假日安排未导入提醒',
    cron,
    async run({ at, ctx, calendar }) {
      const admins = [...new Map((await ctx.chat.contacts.admins()).map((a) => [a.userid, a])).values()];
      const r = await warnAdmins(
        { db: ctx.db, messenger: ctx.chat.messenger, templates: ctx.chat.templates, events: ctx.events },
        admins,
        calendar,
        at,
        ctx.config.businessTz,
      );
      return { missing_year: r.year, messages: r.messages };
    },
  };
}
