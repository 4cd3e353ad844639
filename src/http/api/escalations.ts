/** Escalations: repeat offenders and overdue ladders, and the action taken on each. */
import { z } from 'zod';
import { TARGET_KINDS } from '../../domain/problems/taxonomy';
import { ADMIN, ALL_ROLES, ApiError, idParam, notFound, pageQuery, route, type RouteDef } from './framework';

const KIND_LABELS: Record<string, string> = { repeat_target: '重复通报对象', repeat_unit: '重复通报单位', overdue: '逾期升级' };
const STATUS_LABELS: Record<string, string> = { open: '待处理', delivered: '已通知', actioned: '已处理', closed: '已关闭' };

function escalationJson(r: any) {
  return {
    id: Number(r.id),
    kind: r.kind,
    kind_label: KIND_LABELS[r.kind] ?? r.kind,
    status: r.status,
    status_label: STATUS_LABELS[r.status] ?? r.status,
    year: r.year ?? null,
    count: r.count ?? null,
    step: r.step ?? null,
    proposed_action: r.proposed_action ?? null,
    action_taken: r.action_taken ?? null,
    actioned_by: r.actioned_by ?? null,
    actioned_at: r.actioned_at ? new Date(Number(r.actioned_at)).toISOString() : null,
    created_at: new Date(Number(r.created_at)).toISOString(),
    unit: r.unit_id ? { id: Number(r.unit_id), name: r.unit_name ?? null, jurisdiction: r.unit_jurisdiction ?? null } : null,
    target: r.target_id
      ? { id: Number(r.target_id), name: r.target_name, kind: r.target_kind, kind_label: TARGET_KINDS[r.target_kind as keyof typeof TARGET_KINDS] ?? r.target_kind, platform: r.target_platform ?? null }
      : null,
    work_order: r.work_order_id ? { id: Number(r.work_order_id), code: r.wo_code ?? null } : null,
    notice: r.notice_id ? { id: Number(r.notice_id), doc_no: r.notice_doc_no ?? null } : null,
  };
}

export function escalationRoutes(): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/escalations',
      tag: '升级处理',
      summary: '升级事项：重复通报对象/单位、逾期升级（按类型、状态、年份筛选）',
      roles: ALL_ROLES,
      query: z.object({
        ...pageQuery,
        kind: z.enum(['repeat_target', 'repeat_unit', 'overdue']).optional(),
        status: z.enum(['open', 'delivered', 'actioned', 'closed']).optional(),
        year: z.coerce.number().int().min(2000).max(2100).optional(),
      }),
      async handler({ query, ctx, scope }) {
        const base = () => {
          const q = ctx.db('escalations as e');
          if (query.kind) q.where('e.kind', query.kind);
          if (query.status) q.where('e.status', query.status);
          if (query.year) q.where('e.year', query.year);
          if (!scope.all) q.whereIn('e.unit_id', scope.unitIds.length ? scope.unitIds : [-1]);
          return q;
        };
        const [c] = await base().count({ n: '*' });
        const rows = await base()
          .leftJoin('units as u', 'u.id', 'e.unit_id')
          .leftJoin('targets as t', 't.id', 'e.target_id')
          .leftJoin('work_orders as w', 'w.id', 'e.work_order_id')
          .leftJoin('notices as n', 'n.id', 'e.notice_id')
          .select('e.*', 'u.name as unit_name', 'u.jurisdiction as unit_jurisdiction', 't.name as target_name', 't.kind as target_kind', 't.platform as target_platform', 'w.code as wo_code', 'n.doc_no as notice_doc_no')
          .orderBy('e.id', 'desc')
          .limit(query.page_size)
          .offset((query.page - 1) * query.page_size);
        return { items: rows.map(escalationJson), total: Number((c as any).n), page: query.page, page_size: query.page_size };
      },
    }),
    route({
      method: 'post',
      path: '/escalations/:id/action',
      tag: '升级处理',
      summary: '记录对升级事项采取的措施（如已约谈、已关停），或关闭',
      roles: ADMIN,
      params: idParam,
      body: z.object({
        status: z.enum(['actioned', 'closed'], { message: '状态须为 actioned（已处理）或 closed（关闭）' }),
        action_taken: z.string().trim().min(1, '请填写采取的措施').max(1000),
      }),
      async handler({ params, body, ctx, actor }) {
        const at = ctx.clock.now();
        await ctx.db.transaction(async (trx) => {
          const row = await trx('escalations').where({ id: params.id }).first();
          if (!row) throw notFound('升级事项');
          if (row.status === 'closed') throw new ApiError(409, 'conflict', '该事项已关闭');
          await trx('escalations').where({ id: params.id }).update({ status: body.status, action_taken: body.action_taken, actioned_by: actor, actioned_at: at.getTime() });
          await ctx.events.append(
            {
              type: 'escalation.actioned',
              actor,
              at,
              workOrderId: row.work_order_id ?? null,
              noticeId: row.notice_id ?? null,
              unitId: row.unit_id ?? null,
              data: { escalation_id: params.id, kind: row.kind, status: body.status, action_taken: body.action_taken },
            },
            trx,
          );
        });
        return { ok: true };
      },
    }),
  ];
}
