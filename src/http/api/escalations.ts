/** Escalations: repeat offenders and overdue ladders, and the action taken on each. */
import { z } from 'zod';
import type { EscalationListRow } from '../../domain/followup/escalations';
import { TARGET_KINDS } from '../../domain/problems/taxonomy';
import { ADMIN, ALL_ROLES, ApiError, idParam, notFound, pageQuery, route, type RouteDef } from './framework';

const KIND_LABELS: Record<string, string> = { repeat_target: '重复通报对象', repeat_unit: '重复通报单位', overdue: '逾期升级' };
const STATUS_LABELS: Record<string, string> = { open: '待处理', delivered: '已通知', actioned: '已处理', closed: '已关闭' };

function escalationJson(r: EscalationListRow) {
  return {
    id: r.id,
    kind: r.kind,
    kind_label: KIND_LABELS[r.kind] ?? r.kind,
    status: r.status,
    status_label: STATUS_LABELS[r.status] ?? r.status,
    year: r.year,
    count: r.count,
    step: r.step,
    proposed_action: r.proposedAction,
    action_taken: r.actionTaken,
    actioned_by: r.actionedBy,
    actioned_at: r.actionedAt ? r.actionedAt.toISOString() : null,
    created_at: r.createdAt.toISOString(),
    unit: r.unit,
    target: r.target
      ? { ...r.target, kind_label: TARGET_KINDS[r.target.kind as keyof typeof TARGET_KINDS] ?? r.target.kind }
      : null,
    work_order: r.workOrder,
    notice: r.notice ? { id: r.notice.id, doc_no: r.notice.docNo } : null,
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
        const { items, total } = await ctx.reads.escalations.list(
          { kind: query.kind, status: query.status, year: query.year, page: query.page, pageSize: query.page_size },
          scope.all ? null : scope.unitIds,
        );
        return { items: items.map(escalationJson), total, page: query.page, page_size: query.page_size };
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
        const result = await ctx.reads.escalations.recordAction(params.id, { status: body.status, actionTaken: body.action_taken, actor, at: ctx.clock.now() });
        if (result === 'not_found') throw notFound('升级事项');
        if (result === 'closed') throw new ApiError(409, 'conflict', '该事项已关闭');
        return { ok: true };
      },
    }),
  ];
}
