/** The weekly re-check of websites and columns accepted in the last 90 days (src/domain/recheck/service.ts). */
import type { Job } from './types';

export function weeklyRecheckJob(cron: string): Job {
  return {
    name: 'weekly_recheck',
    title: '每周自动复查',
    cron,
    async run({ at, ctx }) {
      if (!ctx.config.recheck.enabled) return { disabled: 1 };
      return { ...(await ctx.recheck.service.weekly(at)) };
    },
  };
}
