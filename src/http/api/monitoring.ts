/**
 * Monitoring work orders (内容监测工单) one at a time: create (idempotent on source and the
 * platform's number), preview the deadline, read pasted platform text, autocomplete targets,
 * the sources admins keep, and the on-time figures.
 */
import { z } from 'zod';
import { parseInstant } from '../../domain/calendar/dates';
import { MAX_SCREENSHOT_BYTES, type MonitoringOrderInput } from '../../domain/monitoring/service';
import type { AppContext } from '../../app/context';
import { ADMIN, ALL_ROLES, ApiError, route, type RouteDef } from './framework';

const instant = (what: string) =>
  z
    .string()
    .trim()
    .max(40)
    .describe(`${what}（ISO-8601，如 2026-11-27T15:32:00+08:00；不带时区按业务时区）`);

export const orderBody = z.object({
  target: z.string().trim().min(1, '请填写对象名称（账号或网站）').max(300).describe('对象名称：账号名或网站名'),
  unit: z.string().trim().max(200).optional().describe('主办单位；已登记的对象可不填（取其单位）'),
  platform: z.string().trim().max(100).optional().describe('平台，如 微信公众号、新浪微博、抖音、网站'),
  kind: z.enum(['website', 'column', 'newmedia'], { message: '对象类型须为 website、column 或 newmedia' }).optional(),
  address: z.string().trim().max(500).optional().describe('网站地址'),
  problem: z.string().trim().min(1, '请填写问题描述').max(10000).describe('问题描述（按问题分类规则归类）'),
  source: z.string().trim().max(60).optional().describe('来源（管理员维护的来源列表之一；默认列表第一项）'),
  external_no: z.string().trim().max(120).optional().describe('平台工单编号；同一来源同一编号只建一张工单'),
  external_url: z.string().trim().max(1000).optional().describe('平台工单链接'),
  received_at: instant('接收时间').optional(),
  due_at: instant('平台注明的办理时限').optional(),
  screenshot: z
    .object({
      mime: z.string().trim().max(100).describe('image/png、image/jpeg、image/gif 或 image/webp'),
      data_base64: z.string().max(Math.ceil((MAX_SCREENSHOT_BYTES * 4) / 3) + 8, '截图过大'),
    })
    .optional()
    .describe('截图（可选）'),
});
export type OrderBody = z.infer<typeof orderBody>;

/** The service's input from the API's (or the CLI's) fields. */
export function orderInput(b: OrderBody, zone: string): MonitoringOrderInput {
  const when = (v: string | undefined, what: string) => {
    if (!v) return null;
    const d = parseInstant(v, zone);
    if (!d) throw new ApiError(400, 'invalid_input', `${what}无效：${v}（须为 ISO-8601，如 2026-11-27T15:32:00+08:00）`);
    return d;
  };
  return {
    target: b.target,
    unit: b.unit || null,
    platform: b.platform || null,
    kind: b.kind ?? null,
    address: b.address || null,
    problem: b.problem,
    source: b.source || null,
    externalNo: b.external_no || null,
    externalUrl: b.external_url || null,
    receivedAt: when(b.received_at, '接收时间'),
    dueAt: when(b.due_at, '办理时限'),
    screenshot: b.screenshot ? { mime: b.screenshot.mime, data: Buffer.from(b.screenshot.data_base64, 'base64') } : null,
  };
}

const sourceView = (s: { id: number; name: string; countsRepeats: boolean; active: boolean; position: number }) => ({
  id: s.id,
  name: s.name,
  counts_repeats: s.countsRepeats,
  active: s.active,
  position: s.position,
});

export function monitoringRoutes(): RouteDef[] {
  return [
    route({
      method: 'post',
      path: '/work-orders',
      tag: '监测工单',
      summary: '新建监测工单（按来源+平台工单编号去重：重复提交返回已有工单，created 为 false）',
      roles: ADMIN,
      body: orderBody,
      async handler({ body, ctx, actor }) {
        return ctx.monitoring.create(orderInput(body, ctx.config.businessTz), actor);
      },
    }),
    route({
      method: 'post',
      path: '/work-orders/preview',
      tag: '监测工单',
      summary: '预览：对象与单位是否已登记、问题分类、按规则计算的办理时限（不保存）',
      roles: ADMIN,
      body: orderBody,
      async handler({ body, ctx }) {
        return ctx.monitoring.preview(orderInput(body, ctx.config.businessTz));
      },
    }),
    route({
      method: 'post',
      path: '/work-orders/parse',
      tag: '监测工单',
      summary: '识别粘贴的平台工单文字（可含多条），逐条给出表单内容与预览（不保存）',
      roles: ADMIN,
      body: z.object({ text: z.string().min(1, '请粘贴平台工单内容').max(100_000, '粘贴内容过长（最多 10 万字）') }),
      async handler({ body, ctx }) {
        return ctx.monitoring.parseText(body.text);
      },
    }),
    route({
      method: 'get',
      path: '/monitoring/targets',
      tag: '监测工单',
      summary: '已登记对象（账号、网站）按名称或单位检索，用于表单自动补全',
      roles: ADMIN,
      query: z.object({ q: z.string().trim().max(100).default('') }),
      async handler({ query, ctx }) {
        return { items: await ctx.monitoring.searchTargets(query.q) };
      },
    }),
    route({
      method: 'get',
      path: '/monitoring/sources',
      tag: '监测工单',
      summary: '监测工单来源列表（及是否计入通报次数）',
      roles: ALL_ROLES,
      query: z.object({ all: z.enum(['true', 'false'], { message: '须为 true 或 false' }).optional().describe('含已停用的来源') }),
      async handler({ query, ctx }) {
        return { items: (await ctx.monitoring.sources({ includeInactive: query.all === 'true' })).map(sourceView) };
      },
    }),
    route({
      method: 'put',
      path: '/monitoring/sources',
      tag: '监测工单',
      summary: '设置来源列表（按顺序；未列出的来源停用，不删除）',
      roles: ADMIN,
      body: z.object({
        items: z
          .array(
            z.object({
              name: z.string().trim().min(1, '来源名称不能为空').max(60),
              counts_repeats: z.boolean().describe('该来源的工单计入通报次数（责令关停、约谈）'),
              active: z.boolean().optional(),
            }),
          )
          .min(1, '至少保留一个来源')
          .max(50),
      }),
      async handler({ body, ctx, actor }) {
        const items = await ctx.monitoring.setSources(
          body.items.map((i) => ({ name: i.name, countsRepeats: i.counts_repeats, active: i.active })),
          actor,
        );
        return { items: items.map(sourceView) };
      },
    }),
    route({
      method: 'get',
      path: '/monitoring/stats',
      tag: '统计',
      summary: '监测工单按时办结率（1个工作日内办结率）与反馈用时中位数：按来源、按单位，按月或按季度',
      roles: ALL_ROLES,
      query: z.object({
        period: z.enum(['month', 'quarter'], { message: '统计周期须为 month 或 quarter' }).default('month'),
        year: z.coerce.number().int().min(2000).max(2100).optional(),
        source: z.string().trim().max(60).optional(),
      }),
      async handler({ query, ctx, scope }) {
        return statsOf(ctx, query, scope.all ? null : scope.unitIds);
      },
    }),
  ];
}

function statsOf(ctx: AppContext, q: { period: 'month' | 'quarter'; year?: number; source?: string }, scope: number[] | null) {
  return ctx.reads.monitoring.onTime({ period: q.period, year: q.year, source: q.source || undefined, now: ctx.clock.now() }, scope);
}
