/**
 * The overdue sweep: at its deadline, an order still waiting for the unit is flagged overdue
 * (a flag and an event, not a state). Reads only what is due, through the (state, due_at) index.
 */
import { AWAITING_UNIT_STATES } from '../domain/workorders/states';
import type { Job } from './types';

const BATCH = 500;

export function overdueSweepJob(cron: string): Job {
  return {
    name: 'overdue_sweep',
    title: '逾期检查',
    cron,
    async run({ at, ctx }) {
      let flagged = 0;
      for (;;) {
        const ids = await ctx.workOrders.listOverdueCandidates([...AWAITING_UNIT_STATES], at, BATCH);
        if (ids.length === 0) break;
        // One transaction per batch, not one per order.
        flagged += (await ctx.workOrders.markOverdueMany(ids, 'system', at)).length;
        if (ids.length < BATCH) break;
      }
      return { flagged };
    },
  };
}
