/**
 * notify_new_orders: work orders in state `new` (and rejected ones not yet sent back) become
 * cards to their units' primary contacts; units without one are reported to the admins once
 * per notice. Idempotent (outbox keys per order, round and recipient): a re-run sends nothing twice.
 */
import type { Job } from './types';

export function notifyNewOrdersJob(cron: string): Job {
  return {
    name: 'notify_new_orders',
    title: '通知新工单',
    cron,
    async run({ ctx }) {
      const r = await ctx.chat.notifications.notifyPending();
      // Provisional deadlines of a year loaded meanwhile (see ProvisionalDeadlines.recomputeStale).
      const recomputed = await ctx.provisionalDeadlines.recomputeStale();
      return { ...r, ...(recomputed.checked ? { provisional_recomputed: recomputed.changed + recomputed.confirmed } : {}) };
    },
  };
}
