/** The event log, read-only: who changed what, and when. */
import { z } from 'zod';
import { parseJson } from '../../db/knex';
import { ADMIN, pageQuery, route, type RouteDef } from './framework';

export function eventRoutes(): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/events',
      tag: '事件日志',
      summary: '事件日志（按类型前缀、操作人、工单、通报筛选；新的在前）',
      roles: ADMIN,
      query: z.object({
        ...pageQuery,
        type: z.string().trim().max(60).optional().describe('类型或前缀，如 deadline_rule 或 calendar.override_set'),
        actor: z.string().trim().max(120).optional(),
        work_order_id: z.coerce.number().int().positive().optional(),
        notice_id: z.coerce.number().int().positive().optional(),
      }),
      async handler({ query, ctx }) {
        const base = () => {
          const q = ctx.db('events');
          if (query.type) q.where((w) => void w.where('type', query.type!).orWhere('type', 'like', `${query.type}.%`));
          if (query.actor) q.where('actor', query.actor);
          if (query.work_order_id) q.where('work_order_id', query.work_order_id);
          if (query.notice_id) q.where('notice_id', query.notice_id);
          return q;
        };
        const [c] = await base().count({ n: '*' });
        const rows = await base().orderBy('id', 'desc').limit(query.page_size).offset((query.page - 1) * query.page_size);
        return {
          items: rows.map((r: any) => ({
            id: Number(r.id),
            at: new Date(Number(r.at)).toISOString(),
            type: r.type,
            actor: r.actor,
            work_order_id: r.work_order_id ?? null,
            notice_id: r.notice_id ?? null,
            unit_id: r.unit_id ?? null,
            contact_id: r.contact_id ?? null,
            data: parseJson(r.data, {}),
          })),
          total: Number((c as any).n),
          page: query.page,
          page_size: query.page_size,
        };
      },
    }),
  ];
}
