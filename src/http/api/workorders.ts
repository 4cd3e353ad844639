/** Work orders: the filtered table, one order's timeline, exports, evidence images, reviews. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CATEGORY_IDS, TARGET_KINDS } from '../../domain/problems/taxonomy';
import { isClosed, STATES, type WorkOrderState } from '../../domain/workorders/states';
import type { OrderActionKind } from '../../domain/workorders/actions';
import { exportRows, toCsv, toXlsx } from '../../domain/reports/export';
import {
  LIST_VIEWS,
  listClock,
  SORT_COLUMNS,
  withOverdueWorkingDays,
  type WorkOrderFilter,
  type WorkOrderRow,
} from '../../domain/reports/workorders';
import { decideDeadline } from '../../domain/deadlines/deadline';
import { CalendarDataMissingError } from '../../domain/calendar/calendar';
import type { AppContext } from '../../app/context';
import { ALL_ROLES, ORDER_READERS, idParam, notFound, pageQuery, queryBool, route, type RouteDef } from './framework';
import { inScope } from '../auth/principal';

const filterShape = {
  notice_id: z.coerce.number().int().positive().optional().describe('通报 id'),
  unit_id: z.coerce.number().int().positive().optional().describe('单位 id'),
  state: z
    .string()
    .optional()
    .describe(`状态，可用逗号分隔多个：${STATES.join(', ')}`)
    .refine((v) => !v || v.split(',').every((s) => (STATES as readonly string[]).includes(s.trim())), {
      message: `状态须为 ${STATES.join('、')} 之一（可逗号分隔）`,
    }),
  overdue: queryBool.optional().describe('只看逾期（true）或未逾期（false）'),
  kind: z.enum(Object.keys(TARGET_KINDS) as [string, ...string[]], { message: '对象类型须为 website、column 或 newmedia' }).optional(),
  category: z.enum(CATEGORY_IDS as [string, ...string[]], { message: `问题类别须为 ${CATEGORY_IDS.join('、')} 之一` }).optional(),
  jurisdiction: z.string().trim().max(100).optional(),
  q: z.string().trim().max(100).optional().describe('按工单编号、名称或单位搜索'),
  source: z.string().trim().max(60).optional().describe('监测工单来源，如 省监管平台'),
  external_no: z.string().trim().max(120).optional().describe('平台工单编号（精确匹配）'),
  view: z
    .enum(LIST_VIEWS, { message: `视图须为 ${LIST_VIEWS.join('、')} 之一` })
    .optional()
    .describe('常用视图：my_review 我的待审核、due_today 今日到期、overdue 已逾期、repeat 重复通报'),
};
const sortShape = {
  sort: z.enum(SORT_COLUMNS, { message: `排序列须为 ${SORT_COLUMNS.join('、')} 之一` }).optional().describe('排序列'),
  dir: z.enum(['asc', 'desc'], { message: '排序方向须为 asc（升序）或 desc（降序）' }).default('asc'),
};
const idsQuery = z
  .string()
  .regex(/^\d+(,\d+)*$/, '工单 id 须为逗号分隔的数字')
  .optional()
  .describe('只导出这些工单（逗号分隔的 id）')
  .transform((v) => (v ? [...new Set(v.split(',').map(Number))] : undefined));
type FilterQuery = z.infer<z.ZodObject<typeof filterShape>>;

function toFilter(ctx: AppContext, q: FilterQuery): WorkOrderFilter {
  return {
    noticeId: q.notice_id,
    unitId: q.unit_id,
    states: q.state ? (q.state.split(',').map((s) => s.trim()) as WorkOrderState[]) : undefined,
    overdue: q.overdue,
    kind: q.kind,
    category: q.category,
    jurisdiction: q.jurisdiction || undefined,
    q: q.q || undefined,
    source: q.source || undefined,
    externalNo: q.external_no || undefined,
    view: q.view,
    clock: listClock(ctx.clock.now(), ctx.config.businessTz),
  };
}

/** Orders not yet notified get the due instant they would have if notified now. */
async function withExpectedDue<T extends WorkOrderRow>(ctx: AppContext, orders: T[]): Promise<T[]> {
  // A monitoring order's deadline was fixed when it was received.
  const pending = orders.filter((o) => o.state === 'new' && !(o.source && o.due_at));
  if (!pending.length) return orders;
  const [rules, calendar] = await Promise.all([ctx.deadlineRules.list(), ctx.calendar.get()]);
  const now = ctx.clock.now();
  for (const o of pending) {
    try {
      const d = decideDeadline(
        {
          notifiedAt: now,
          dueOnOverride: o.due_on_override,
          noticeReportDueOn: o.notice.report_due_on,
          source: o.notice.source,
          targetKind: o.target.kind,
          categories: o.categories.map((c) => c.id),
        },
        rules,
        calendar,
        ctx.deadlineSettings,
      );
      o.expected_due_at = d.due.toISOString();
      o.provisional = d.provisional;
    } catch (e) {
      if (!(e instanceof CalendarDataMissingError)) throw e;
      o.expected_due_at = null;
    }
  }
  return orders;
}

type AllowedAction = OrderActionKind | 'review' | 'reply';

/** What the caller may do to the order (the detail is already limited to the caller's scope). */
function allowedActions(ctx: AppContext, role: string, d: { state: WorkOrderState; replies: { review_state: string }[] }): AllowedAction[] {
  const out: AllowedAction[] = [];
  if (role === 'admin' || role === 'supervisor') {
    out.push(...ctx.orderActions.allowedFor(d.state));
    if (d.replies.some((r) => r.review_state === 'pending') && !isClosed(d.state)) out.push('review');
  }
  if ((role === 'contact' || role === 'admin') && d.state === 'notified') out.push('reply');
  return out;
}

export function workOrderRoutes(): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/work-orders',
      tag: '工单',
      summary: '工单列表（分页；按通报、单位、状态、逾期、对象类型、问题类别、辖区筛选）',
      roles: ORDER_READERS,
      query: z.object({ ...filterShape, ...sortShape, ...pageQuery }),
      async handler({ query, ctx, scope }) {
        const filter = toFilter(ctx, query);
        const r = await ctx.reads.workOrders.listWorkOrders(
          filter,
          scope.all ? null : scope.unitIds,
          { page: query.page, pageSize: query.page_size },
          query.sort ? { column: query.sort, dir: query.dir } : undefined,
        );
        withOverdueWorkingDays(r.items, await ctx.calendar.get(), filter.clock!.now, ctx.config.businessTz);
        return { items: await withExpectedDue(ctx, r.items), total: r.total, page: query.page, page_size: query.page_size };
      },
    }),
    route({
      method: 'get',
      path: '/work-orders/export',
      tag: '导出',
      summary: '按筛选条件或所选工单（ids）导出工单（xlsx 或 csv，通报附件表的列）',
      roles: ALL_ROLES,
      query: z.object({ ...filterShape, ...sortShape, ids: idsQuery, format: z.enum(['xlsx', 'csv'], { message: '格式须为 xlsx 或 csv' }).default('xlsx') }),
      produces: ['xlsx', 'csv'],
      async handler({ query, ctx, scope, actor }) {
        const reports = ctx.reads.workOrders;
        const { items } = await reports.listWorkOrders(
          { ...toFilter(ctx, query), ids: query.ids },
          scope.all ? null : scope.unitIds,
          null,
          query.sort ? { column: query.sort, dir: query.dir } : undefined,
        );
        const rows = exportRows(items, await reports.latestReplies(items.map((o) => o.id)), ctx.config.businessTz);
        await ctx.events.append({ type: 'export.work_orders', actor, at: ctx.clock.now(), data: { format: query.format, rows: rows.length } });
        if (query.format === 'csv') return { download: { fileName: '工单.csv', contentType: 'text/csv; charset=utf-8', body: toCsv(rows) } };
        return {
          download: {
            fileName: '工单.xlsx',
            contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
            body: await toXlsx('工单整改情况', rows),
          },
        };
      },
    }),
    route({
      method: 'get',
      path: '/work-orders/:id',
      tag: '工单',
      summary: '工单详情：问题、整改反馈、证据图片、时间线（人员姓名与单位、消息送达情况）与当前用户可执行的操作',
      roles: ORDER_READERS,
      params: idParam,
      async handler({ params, ctx, scope, principal }) {
        const d = await ctx.reads.workOrders.workOrderDetail(params.id, scope.all ? null : scope.unitIds);
        if (!d) throw notFound('工单');
        await withExpectedDue(ctx, [d]);
        withOverdueWorkingDays([d], await ctx.calendar.get(), ctx.clock.now(), ctx.config.businessTz);
        const timeline = await ctx.reads.events.timeline(params.id);
        return { ...d, timeline, allowed_actions: allowedActions(ctx, principal.role, d) };
      },
    }),
    route({
      method: 'get',
      path: '/evidence/:id/file',
      tag: '工单',
      summary: '证据文件（截图）',
      roles: ORDER_READERS,
      params: idParam,
      produces: ['image'],
      async handler({ params, ctx, scope, res }) {
        const e = await ctx.reads.workOrders.evidenceFile(params.id, scope.all ? null : scope.unitIds);
        if (!e) throw notFound('证据');
        // Paths are relative to MEDIA_DIR (src/wecom/media.ts); nothing outside it is served.
        const media = path.resolve(ctx.config.mediaDir);
        const file = path.resolve(media, e.path);
        if (!file.startsWith(media + path.sep)) throw notFound('证据');
        if (!fs.existsSync(file)) throw notFound('证据文件');
        // Only raster images are shown inline; anything else is a download that cannot run here.
        const inline = e.mime !== null && /^image\/(png|jpeg|gif|webp)$/.test(e.mime);
        res.setHeader('Content-Type', inline ? e.mime! : 'application/octet-stream');
        res.setHeader('Content-Disposition', inline ? 'inline' : `attachment; filename="evidence-${params.id}"`);
        res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
        res.setHeader('X-Content-Type-Options', 'nosniff');
        await new Promise<void>((resolve, reject) => res.sendFile(file, (err) => (err ? reject(err) : resolve())));
        return undefined;
      },
    }),
    route({
      method: 'post',
      path: '/replies/:id/review',
      tag: '工单',
      summary: '审核整改反馈：通过（工单办结）或退回（工单退回重改）',
      roles: ['admin', 'supervisor'],
      params: idParam,
      body: z.object({
        decision: z.enum(['accept', 'reject'], { message: '审核结果须为 accept（通过）或 reject（退回）' }),
        comment: z.string().trim().max(1000).optional(),
      }),
      async handler({ params, body, ctx, scope, actor, principal }) {
        const orderId = await ctx.reads.workOrders.orderOfReply(params.id);
        const wo = orderId === null ? null : await ctx.workOrders.get(orderId);
        if (!wo || !inScope(scope, wo.unitId)) throw notFound('整改反馈');
        await ctx.chat.review.reviewFromConsole(
          { userid: principal.kind === 'user' ? principal.user.wecomUserid : null, actor, requestId: crypto.randomUUID() },
          params.id,
          body.decision,
          body.comment,
        );
        return { ok: true, work_order: await ctx.workOrders.get(wo.id) };
      },
    }),
  ];
}
