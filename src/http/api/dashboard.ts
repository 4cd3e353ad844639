/** The dashboard: overdue and on-time rates per unit and per jurisdiction. */
import { z } from 'zod';
import { ReportStore } from '../../domain/reports/workorders';
import { ALL_ROLES, route, type RouteDef } from './framework';

export function dashboardRoutes(): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/dashboard',
      tag: '统计',
      summary: '各单位、各辖区的工单数、逾期率与按时整改率（可按通报或年份筛选）',
      roles: ALL_ROLES,
      query: z.object({
        notice_id: z.coerce.number().int().positive().optional(),
        year: z.coerce.number().int().min(2000).max(2100).optional(),
      }),
      async handler({ query, ctx, scope }) {
        return new ReportStore(ctx.db).dashboard({ noticeId: query.notice_id, year: query.year }, scope.all ? null : scope.unitIds);
      },
    }),
  ];
}
