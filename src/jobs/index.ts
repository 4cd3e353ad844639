/** Every scheduled job, in one place, with its schedule from the configuration. */
import type { AppContext } from '../app/context';
import { notifyNewOrdersJob } from './notify';
import { overdueSweepJob } from './overdue';
import { digestJob, overdueLadderJob, remindersJob, repeatOffendersJob } from './followup';
import { calendarWarningJob } from './calendar';
import { weeklyRecheckJob } from './recheck';
import type { Job } from './types';

export function buildJobs(ctx: AppContext): Job[] {
  const s = ctx.config.jobs;
  // In this order within one tick: the ladder sees what the sweep has just flagged overdue.
  return [
    notifyNewOrdersJob(s.notifyCron),
    remindersJob(s.reminderCron),
    overdueSweepJob(s.overdueSweepCron),
    overdueLadderJob(s.ladderCron),
    repeatOffendersJob(s.repeatCron),
    digestJob(s.digestCron),
    calendarWarningJob(s.calendarWarningCron),
    weeklyRecheckJob(s.recheckCron),
  ];
}
