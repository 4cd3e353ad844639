/** Deadline rules: list, create, edit, deactivate, and the live "notified at … → due at …" preview. */
import { z } from 'zod';
import { businessDate, formatInstant, formatInstantZh, parseInstant } from '../../domain/calendar/dates';
import { computeDueDetailed, decideDeadline, type DeadlineRule } from '../../domain/deadlines/deadline';
import { formatDueZh } from '../../domain/messages/due';
import { effectiveDeadlines, type EffectiveRow } from '../../domain/deadlines/effective';
import { CalendarDataMissingError } from '../../domain/calendar/calendar';
import { CATEGORIES, CATEGORY_IDS, TARGET_KINDS, isCategory } from '../../domain/problems/taxonomy';
import { ADMIN, ALL_ROLES, ApiError, idParam, notFound, queryBool, route, type RouteDef } from './framework';

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const kinds = Object.keys(TARGET_KINDS) as [string, ...string[]];

const ruleBody = z.object({
  source: z.string().trim().max(60).nullish().describe('来源；空表示任意'),
  target_kind: z.enum(kinds, { message: '对象类型须为 website、column 或 newmedia' }).nullish(),
  category: z.enum(CATEGORY_IDS as [string, ...string[]], { message: '问题类别无效' }).nullish(),
  amount: z.number({ message: '期限天数须为数字' }).int('期限天数须为整数').min(1, '期限天数至少为 1').max(365, '期限天数最多 365'),
  unit: z.enum(['working_days', 'calendar_days'], { message: '期限单位须为 working_days（工作日）或 calendar_days（自然日）' }),
  cutoff: z.string().regex(HHMM, '截止时刻须为 HH:MM 格式').nullish().or(z.literal('')),
  note: z.string().trim().max(300).nullish(),
});

export function ruleJson(r: DeadlineRule) {
  return {
    id: r.id,
    source: r.source,
    target_kind: r.targetKind,
    target_kind_label: r.targetKind ? TARGET_KINDS[r.targetKind as keyof typeof TARGET_KINDS] ?? r.targetKind : null,
    category: r.category,
    category_label: r.category && isCategory(r.category) ? CATEGORIES[r.category] : null,
    amount: r.amount,
    unit: r.unit,
    cutoff: r.cutoff,
    active: r.active,
    note: r.note,
  };
}

const toInput = (b: z.infer<typeof ruleBody>) => ({
  source: b.source ?? null,
  targetKind: b.target_kind ?? null,
  category: b.category ?? null,
  amount: b.amount,
  unit: b.unit,
  cutoff: b.cutoff || null,
  note: b.note ?? null,
});

export function ruleRoutes(): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/deadline-rules',
      tag: '期限规则',
      summary: '期限规则列表（含中文名称），以及现行规则下各对象类型、各问题类别新工单的期限',
      roles: ALL_ROLES,
      query: z.object({ include_inactive: queryBool.optional() }),
      async handler({ query, ctx }) {
        const rules = await ctx.deadlineRules.list({ includeInactive: query.include_inactive ?? false });
        const active = query.include_inactive ? await ctx.deadlineRules.list() : rules;
        let effective: EffectiveRow[] | null = null;
        try {
          effective = effectiveDeadlines(active, await ctx.calendar.get(), ctx.deadlineSettings, ctx.clock.now());
        } catch (e) {
          if (!(e instanceof CalendarDataMissingError)) throw e;
        }
        return {
          items: rules.map(ruleJson),
          // What a new order of each target type and category gets if notified now (null: no calendar data).
          effective,
          defaults: { working_days: ctx.deadlineSettings.defaultWorkingDays, cutoff: ctx.deadlineSettings.cutoff, zone: ctx.deadlineSettings.zone },
          categories: CATEGORIES,
          target_kinds: TARGET_KINDS,
        };
      },
    }),
    route({
      method: 'post',
      path: '/deadline-rules',
      tag: '期限规则',
      summary: '新建期限规则',
      roles: ADMIN,
      body: ruleBody,
      async handler({ body, ctx, actor }) {
        return ruleJson(await ctx.deadlineRules.create(toInput(body), actor, ctx.clock.now()));
      },
    }),
    route({
      method: 'put',
      path: '/deadline-rules/:id',
      tag: '期限规则',
      summary: '修改期限规则',
      roles: ADMIN,
      params: idParam,
      body: ruleBody,
      async handler({ params, body, ctx, actor }) {
        if (!(await ctx.deadlineRules.get(params.id))) throw notFound('期限规则');
        return ruleJson(await ctx.deadlineRules.update(params.id, toInput(body), actor, ctx.clock.now()));
      },
    }),
    route({
      method: 'delete',
      path: '/deadline-rules/:id',
      tag: '期限规则',
      summary: '停用期限规则（保留历史，不删除）',
      roles: ADMIN,
      params: idParam,
      async handler({ params, ctx, actor }) {
        if (!(await ctx.deadlineRules.get(params.id))) throw notFound('期限规则');
        await ctx.deadlineRules.deactivate(params.id, actor, ctx.clock.now());
        return { ok: true };
      },
    }),
    route({
      method: 'get',
      path: '/deadlines/preview',
      tag: '期限规则',
      summary:
        '期限预览：给出 amount/unit 时按该期限计算；否则按现行规则（来源、对象类型、问题类别）决定。from 默认为现在',
      roles: ALL_ROLES,
      query: z.object({
        from: z.string().max(40).optional().describe('通知时间，ISO 8601；不带时区按业务时区'),
        amount: z.coerce.number().int().min(1).max(365).optional(),
        unit: z.enum(['working_days', 'calendar_days']).optional(),
        cutoff: z.string().regex(HHMM, '截止时刻须为 HH:MM 格式').optional().or(z.literal('')),
        source: z.string().trim().max(60).optional(),
        target_kind: z.enum(kinds).optional(),
        category: z.string().optional().describe('问题类别，可逗号分隔多个'),
      }),
      async handler({ query, ctx }) {
        const zone = ctx.deadlineSettings.zone;
        const from = query.from ? parseInstant(query.from, zone) : ctx.clock.now();
        if (!from) throw new ApiError(400, 'invalid_input', `通知时间无效：${query.from}（示例：2025-09-30T16:00）`);
        const calendar = await ctx.calendar.get();
        let due: Date;
        let provisional: boolean;
        let basis: string;
        let ruleId: number | null = null;
        if (query.amount !== undefined || query.unit !== undefined) {
          if (query.amount === undefined || query.unit === undefined) throw new ApiError(400, 'invalid_input', 'amount 与 unit 须同时给出');
          ({ due, provisional } = computeDueDetailed(from, { amount: query.amount, unit: query.unit, cutoff: query.cutoff || null }, calendar, ctx.deadlineSettings));
          basis = 'spec';
        } else {
          const categories = query.category ? query.category.split(',').map((c) => c.trim()).filter(Boolean) : [];
          const d = decideDeadline(
            { notifiedAt: from, source: query.source ?? null, targetKind: query.target_kind ?? null, categories },
            await ctx.deadlineRules.list(),
            calendar,
            ctx.deadlineSettings,
          );
          due = d.due;
          provisional = d.provisional;
          basis = d.basis;
          ruleId = d.ruleId;
        }
        return {
          from: formatInstant(from, zone),
          from_label: formatInstantZh(from, zone),
          from_date: businessDate(from, zone),
          due: formatInstant(due, zone),
          due_label: formatDueZh(due, provisional, zone),
          provisional,
          basis,
          rule_id: ruleId,
        };
      },
    }),
  ];
}
