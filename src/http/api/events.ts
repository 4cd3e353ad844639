/** The event log, read-only: who changed what, and when. */
import { z } from 'zod';
import { ADMIN, pageQuery, route, type RouteDef } from './framework';

export function eventRoutes(): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/events',
      tag: '事件日志',
      summary: '事件日志（按类型前缀、操作人、工单、通报筛选；新的在前；含中文名称与操作人姓名）',
      roles: ADMIN,
      query: z.object({
        ...pageQuery,
        type: z.string().trim().max(60).optional().describe('类型或前缀，如 deadline_rule 或 calendar.override_set'),
        actor: z.string().trim().max(120).optional(),
        work_order_id: z.coerce.number().int().positive().optional(),
        notice_id: z.coerce.number().int().positive().optional(),
      }),
      async handler({ query, ctx }) {
        const r = await ctx.reads.events.list(
          { type: query.type, actor: query.actor, workOrderId: query.work_order_id, noticeId: query.notice_id },
          { page: query.page, pageSize: query.page_size },
        );
        return { ...r, page: query.page, page_size: query.page_size };
      },
    }),
  ];
}
