/**
 * The follow-up jobs: reminders before the deadline, the overdue escalation ladder, the daily
 * digests and the delivery of repeat-offender escalations (src/domain/followup/service.ts).
 * Each sends through the outbox with idempotency keys, so a slot run again sends nothing twice.
 */
import { businessDate } from '../domain/calendar/dates';
import type { Job } from './types';

export function remindersJob(cron: string): Job {
  return {
    name: 'reminders',
    title: '到期提醒',
    cron,
    async run({ at, ctx }) {
      return { ...(await ctx.followup.remind(at)) };
    },
  };
}

/** Runs after the overdue sweep (buildJobs keeps that order), so an order flagged now takes its first step now. */
export function overdueLadderJob(cron: string): Job {
  return {
    name: 'overdue_ladder',
    title: '逾期升级',
    cron,
    async run({ at, ctx }) {
      return { ...(await ctx.followup.escalate(at)) };
    },
  };
}

export function digestJob(cron: string): Job {
  return {
    name: 'digest',
    title: '督办日报',
    cron,
    workdaysOnly: true,
    async run({ at, slot, ctx }) {
      const zone = ctx.config.businessTz;
      // A digest missed on an earlier day is not sent late: today's will say what is true now.
      if (businessDate(slot, zone) !== businessDate(at, zone)) return { supervisors: 0, admins: 0, skipped_stale_slot: 1 };
      return { ...(await ctx.followup.digests(at)) };
    },
  };
}

export function repeatOffendersJob(cron: string): Job {
  return {
    name: 'repeat_offenders',
    title: '重复通报升级',
    cron,
    async run({ at, ctx }) {
      return { ...(await ctx.followup.deliverRepeatOffenders(at)) };
    },
  };
}
