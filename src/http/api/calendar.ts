/** The working-day calendar: year view, overrides, loading a year's arrangement file. */
import fs from 'node:fs';
import { z } from 'zod';
import { parseArrangementFile } from '../../domain/calendar/arrangement';
import { businessDate, parseIsoDate } from '../../domain/calendar/dates';
import { ADMIN, ALL_ROLES, ApiError, isoDate, route, type RouteDef } from './framework';

const MAX_ARRANGEMENT_BYTES = 1024 * 1024;

export function calendarRoutes(): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/calendar/status',
      tag: '日历',
      summary: '日历概况：有数据的年份、已导入的安排、调整，以及明年是否缺少数据',
      roles: ALL_ROLES,
      async handler({ ctx }) {
        const cal = await ctx.calendar.get();
        const today = businessDate(ctx.clock.now(), ctx.config.businessTz);
        const year = Number(today.slice(0, 4));
        const { arrangements, overrides } = await ctx.reads.calendar.loaded();
        const nextMissing = !cal.hasYear(year + 1);
        return {
          today,
          covered_years: cal.coveredYears(),
          current_year_missing: !cal.hasYear(year),
          next_year: year + 1,
          next_year_missing: nextMissing,
          provisional_year: cal.provisionalYear(),
          warning: nextMissing
            ? `${year + 1}年节假日安排尚未导入：跨入${year + 1}年的期限暂按《全国年节及纪念日放假办法》计算（不含调休），标注“暂定”。` +
              `国务院办公厅公布后，请在“日历”页导入${year + 1}年的安排文件，暂定期限将自动重算并告知相关单位。`
            : null,
          arrangements: arrangements.map((a) => ({ year: a.year, source: a.source, loaded_by: a.loadedBy, loaded_at: a.loadedAt.toISOString() })),
          overrides: overrides.map((o) => ({ date: o.date, workday: o.workday, reason: o.reason, created_by: o.createdBy, updated_at: o.updatedAt.toISOString() })),
        };
      },
    }),
    route({
      method: 'get',
      path: '/calendar/years/:year',
      tag: '日历',
      summary:
        '某年每一天：工作日、休息日、节假日、调休上班；无数据的年份 covered=false（紧接有数据年份的下一年 provisional=true，按放假办法暂定的每一天）',
      roles: ALL_ROLES,
      params: z.object({ year: z.coerce.number().int().min(2000, '年份须在 2000–2100 之间').max(2100, '年份须在 2000–2100 之间') }),
      async handler({ params, ctx }) {
        const cal = await ctx.calendar.get();
        if (cal.provisionalYear() === params.year) {
          return { year: params.year, covered: false, provisional: true, days: cal.range(`${params.year}-01-01`, `${params.year}-12-31`) };
        }
        if (!cal.hasYear(params.year)) return { year: params.year, covered: false, days: [] };
        return { year: params.year, covered: true, days: cal.range(`${params.year}-01-01`, `${params.year}-12-31`) };
      },
    }),
    route({
      method: 'put',
      path: '/calendar/overrides/:date',
      tag: '日历',
      summary: '把某天设为工作日（如调休上班）或休息日',
      roles: ADMIN,
      params: z.object({ date: isoDate }),
      body: z.object({
        workday: z.boolean({ message: 'workday 须为 true（上班）或 false（休息）' }),
        reason: z.string().trim().min(1, '请填写原因').max(200),
      }),
      async handler({ params, body, ctx, actor }) {
        const date = parseIsoDate(params.date);
        const cal = await ctx.calendar.setOverride({ date, workday: body.workday, reason: body.reason }, actor);
        return { day: cal.hasYear(Number(date.slice(0, 4))) ? cal.day(date) : { date, workday: body.workday, name: body.reason, source: 'override' } };
      },
    }),
    route({
      method: 'delete',
      path: '/calendar/overrides/:date',
      tag: '日历',
      summary: '撤销某天的调整',
      roles: ADMIN,
      params: z.object({ date: isoDate }),
      async handler({ params, ctx, actor }) {
        const removed = await ctx.calendar.removeOverride(parseIsoDate(params.date), actor);
        if (!removed) throw new ApiError(404, 'not_found', `${params.date} 没有调整`);
        return { ok: true };
      },
    }),
    route({
      method: 'post',
      path: '/calendar/arrangements',
      tag: '日历',
      summary: '导入某年的节假日安排文件（holiday-cn 格式 JSON：{year, days:[{name, date, isOffDay}]}）',
      roles: ADMIN,
      upload: true,
      async handler({ file, ctx, actor }) {
        if (!file) throw new ApiError(400, 'invalid_upload', '请选择节假日安排文件（字段名 file）');
        if (file.size > MAX_ARRANGEMENT_BYTES) throw new ApiError(400, 'invalid_upload', '文件过大：节假日安排文件不超过 1 MB');
        const arrangement = parseArrangementFile(await fs.promises.readFile(file.path, 'utf8'));
        await ctx.calendar.loadArrangement(arrangement, file.originalName, actor);
        const recomputed = await ctx.provisionalDeadlines.recompute(actor);
        const off = arrangement.days.filter((d) => d.offDay).length;
        return { year: arrangement.year, days: arrangement.days.length, off_days: off, makeup_days: arrangement.days.length - off, recomputed };
      },
    }),
  ];
}
