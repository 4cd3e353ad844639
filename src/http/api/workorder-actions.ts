/**
 * Acting on orders from the console: 催办, a new deadline, withdraw (撤销), reassign, a note, and
 * 催办 / new deadline for many orders at once. The rules are the domain's (WorkOrderActions);
 * here: who may (admins; supervisors within their units) and the answer's shape.
 */
import { z } from 'zod';
import type { AppContext } from '../../app/context';
import { inScope, type UnitScope } from '../auth/principal';
import { mapDomainError } from './errors';
import { idParam, isoDate, notFound, route, type RouteDef } from './framework';

export const ACTION_ROLES = ['admin', 'supervisor'] as const;

const reason = (what: string) => z.string({ message: `请填写${what}` }).trim().min(1, `请填写${what}`).max(500, `${what}最多 500 字`);

/** The order, if the caller may act on it (out of scope reads as absent, as everywhere in the API). */
async function orderInScope(ctx: AppContext, scope: UnitScope, id: number) {
  const wo = await ctx.workOrders.get(id);
  if (!wo || !inScope(scope, wo.unitId)) throw notFound('工单');
  return wo;
}

const dueBody = z.object({ due: isoDate, reason: reason('调整原因') });

export function workOrderActionRoutes(): RouteDef[] {
  return [
    route({
      method: 'post',
      path: '/work-orders/:id/remind',
      tag: '工单',
      summary: '催办：立即提醒单位主联系人（记入时间线）',
      roles: ACTION_ROLES,
      params: idParam,
      body: z.object({ note: z.string().trim().max(500, '督办说明最多 500 字').optional() }),
      async handler({ params, body, ctx, scope, actor }) {
        await orderInScope(ctx, scope, params.id);
        const r = await ctx.orderActions.remind(params.id, { actor, note: body.note });
        return { ok: true, ...r, work_order: await ctx.workOrders.get(params.id) };
      },
    }),
    route({
      method: 'post',
      path: '/work-orders/:id/due',
      tag: '工单',
      summary: '调整整改期限（须为今天或以后的工作日，填写原因；告知单位）',
      roles: ACTION_ROLES,
      params: idParam,
      body: dueBody,
      async handler({ params, body, ctx, scope, actor }) {
        await orderInScope(ctx, scope, params.id);
        const r = await ctx.orderActions.changeDue(params.id, { actor, due: body.due, reason: body.reason });
        return { ok: true, ...r, work_order: await ctx.workOrders.get(params.id) };
      },
    }),
    route({
      method: 'post',
      path: '/work-orders/:id/withdraw',
      tag: '工单',
      summary: '撤销（作废）工单，填写原因；告知单位',
      roles: ACTION_ROLES,
      params: idParam,
      body: z.object({ reason: reason('撤销原因') }),
      async handler({ params, body, ctx, scope, actor }) {
        await orderInScope(ctx, scope, params.id);
        const r = await ctx.orderActions.withdraw(params.id, { actor, reason: body.reason });
        return { ok: true, ...r, work_order: await ctx.workOrders.get(params.id) };
      },
    }),
    route({
      method: 'post',
      path: '/work-orders/:id/reassign',
      tag: '工单',
      summary: '改派给其他单位或联系人，填写原因；告知新旧单位',
      roles: ACTION_ROLES,
      params: idParam,
      body: z
        .object({
          unit_id: z.number().int().positive().optional(),
          contact_id: z.number().int().positive().optional(),
          reason: reason('改派原因'),
        })
        .refine((b) => b.unit_id !== undefined || b.contact_id !== undefined, { message: '请选择改派到的单位或联系人' }),
      async handler({ params, body, ctx, scope, actor }) {
        await orderInScope(ctx, scope, params.id);
        const r = await ctx.orderActions.reassign(params.id, {
          actor,
          unitId: body.unit_id,
          contactId: body.contact_id,
          reason: body.reason,
          allowedUnit: (unitId) => inScope(scope, unitId),
        });
        return { ok: true, ...r, work_order: await ctx.workOrders.get(params.id) };
      },
    }),
    route({
      method: 'post',
      path: '/work-orders/:id/notes',
      tag: '工单',
      summary: '在工单时间线上添加备注',
      roles: ACTION_ROLES,
      params: idParam,
      body: z.object({ text: z.string({ message: '请填写备注内容' }).trim().min(1, '请填写备注内容').max(2000, '备注最多 2000 字') }),
      async handler({ params, body, ctx, scope, actor }) {
        await orderInScope(ctx, scope, params.id);
        await ctx.orderActions.note(params.id, { actor, text: body.text });
        return { ok: true };
      },
    }),
    route({
      method: 'post',
      path: '/work-orders/bulk',
      tag: '工单',
      summary: '批量催办或批量调整期限（逐张返回结果）',
      roles: ACTION_ROLES,
      body: z
        .object({
          action: z.enum(['remind', 'due'], { message: '批量操作须为 remind（催办）或 due（调整期限）' }),
          ids: z.array(z.number().int().positive(), { message: '请选择工单' }).min(1, '请选择工单').max(500, '一次最多 500 张工单'),
          due: isoDate.optional(),
          reason: z.string().trim().max(500, '原因最多 500 字').optional(),
          note: z.string().trim().max(500, '督办说明最多 500 字').optional(),
        })
        .refine((b) => b.action !== 'due' || (b.due && b.reason), { message: '调整期限须填写新期限（due）和原因（reason）' }),
      async handler({ body, ctx, scope, actor }) {
        const results: { id: number; ok: boolean; error?: string; messages?: number }[] = [];
        for (const id of [...new Set(body.ids)]) {
          try {
            await orderInScope(ctx, scope, id);
            const r =
              body.action === 'remind'
                ? await ctx.orderActions.remind(id, { actor, note: body.note })
                : await ctx.orderActions.changeDue(id, { actor, due: body.due!, reason: body.reason! });
            results.push({ id, ok: true, messages: r.messages });
          } catch (e) {
            const mapped = mapDomainError(e);
            if (!mapped) throw e;
            results.push({ id, ok: false, error: mapped.message });
          }
        }
        return { results };
      },
    }),
  ];
}
