/** The dashboard: overdue and on-time rates per unit and per jurisdiction. */
import { z } from 'zod';
import { listClock } from '../../domain/reports/workorders';
import { ALL_ROLES, route, type RouteDef } from './framework';

export function dashboardRoutes(): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/dashboard',
      tag: '统计',
      summary: '各单位、各辖区的工单数、逾期率与按时整改率（可按通报或年份筛选），以及各常用视图（待审核、今日到期、已逾期、重复通报）的工单数',
      roles: ALL_ROLES,
      query: z.object({
        notice_id: z.coerce.number().int().positive().optional(),
        year: z.coerce.number().int().min(2000).max(2100).optional(),
      }),
      async handler({ query, ctx, scope }) {
        const reports = ctx.reads.workOrders;
        const ids = scope.all ? null : scope.unitIds;
        return {
          ...(await reports.dashboard({ noticeId: query.notice_id, year: query.year }, ids)),
          // The saved views' counts (all notices and years, like the lists they open).
          queues: await reports.queueCounts(ids, listClock(ctx.clock.now(), ctx.config.businessTz)),
        };
      },
    }),
  ];
}
