/** Every scheduled job, in one place, with its schedule from the configuration. */
import type { AppContext } from '../app/context';
import { notifyNewOrdersJob } from './notify';
import { overdueSweepJob } from './overdue';
import type { Job } from './types';

export function buildJobs(ctx: AppContext): Job[] {
  const s = ctx.config.jobs;
  return [overdueSweepJob(s.overdueSweepCron), notifyNewOrdersJob(s.notifyCron)];
}
