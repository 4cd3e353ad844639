/** `cli calendar …`: the working-day calendar. */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { isoDateArg } from '../args';
import { CliError, runWithContext, stdout } from '../runner';
import { daysBetween, isoWeekday } from '../../domain/calendar/dates';
import { parseArrangementFile } from '../../domain/calendar/arrangement';
import type { DayInfo } from '../../domain/calendar/calendar';

const TYPE_LABELS: Record<DayInfo['type'], string> = {
  workday: '工作日',
  weekend: '休息日',
  holiday: '节假日',
  makeup: '调休上班',
};
const WEEKDAYS = '一二三四五六日';

const MAX_RANGE_DAYS = 3660;

export function registerCalendar(program: Command): void {
  const calendar = program
    .command('calendar')
    .enablePositionalOptions()
    .description('查询工作日日历；子命令 load / override / years 管理节假日安排')
    .argument('[FROM]', '起始日期 YYYY-MM-DD', isoDateArg)
    .argument('[TO]', '结束日期 YYYY-MM-DD（含），默认同起始日期', isoDateArg)
    .option('--json', '以 JSON 输出')
    .action((from: string | undefined, to: string | undefined, opts: { json?: boolean }) =>
      runWithContext(async (ctx) => {
        if (!from) throw new CliError('缺少起始日期：npm run -s cli -- calendar FROM [TO] [--json]', 2);
        const end = to ?? from;
        if (end < from) throw new CliError(`结束日期 ${end} 早于起始日期 ${from}`, 2);
        if (daysBetween(from, end) > MAX_RANGE_DAYS) throw new CliError(`日期范围过大：最多 ${MAX_RANGE_DAYS} 天`, 2);
        const cal = await ctx.calendar.get();
        const days = cal.range(from, end);
        return () => {
          if (opts.json) {
            stdout.json(days.map((d) => ({ date: d.date, workday: d.workday, name: d.name, type: d.type, provisional: d.source === 'provisional' })));
            return;
          }
          stdout.text(
            ...days.map((d) => {
              const wd = WEEKDAYS[isoWeekday(d.date) - 1];
              const note = d.source === 'provisional' ? '  （暂定：按放假办法推算，未公布安排）' : '';
              return `${d.date} 周${wd}  ${d.workday ? '上班' : '休息'}  ${TYPE_LABELS[d.type]}${d.name ? `  ${d.name}` : ''}${note}`;
            }),
          );
        };
      }),
    );

  calendar
    .command('load')
    .description('导入某年的节假日安排（holiday-cn 格式 JSON：{year, days:[{name, date, isOffDay}]}）')
    .argument('<FILE>', 'JSON 文件')
    .option('--json', '以 JSON 输出')
    .action((file: string, opts: { json?: boolean }) =>
      runWithContext(async (ctx) => {
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch {
          throw new CliError(`无法读取文件：${file}`);
        }
        const arrangement = parseArrangementFile(text);
        await ctx.calendar.loadArrangement(arrangement, path.basename(file), 'cli');
        const recomputed = await ctx.provisionalDeadlines.recompute('cli');
        const off = arrangement.days.filter((d) => d.offDay).length;
        const result = { year: arrangement.year, days: arrangement.days.length, off_days: off, makeup_days: arrangement.days.length - off, recomputed };
        return () =>
          opts.json
            ? stdout.json(result)
            : stdout.text(
                `已导入 ${result.year} 年节假日安排：放假 ${result.off_days} 天，调休上班 ${result.makeup_days} 天。`,
                ...(recomputed.checked
                  ? [`暂定期限已重算：${recomputed.checked} 张工单，期限变化 ${recomputed.changed} 张（已告知单位 ${recomputed.messages} 条），不变 ${recomputed.confirmed} 张，仍为暂定 ${recomputed.still_provisional} 张。`]
                  : []),
              );
      }),
    );

  calendar
    .command('override')
    .description('把某一天设为工作日或休息日（管理员调整），或用 --remove 撤销调整')
    .argument('<DATE>', '日期 YYYY-MM-DD', isoDateArg)
    .addOption(new Option('--workday', '设为工作日').conflicts(['off', 'remove']))
    .addOption(new Option('--off', '设为休息日').conflicts(['workday', 'remove']))
    .option('--remove', '撤销该日的调整')
    .option('--reason <REASON>', '原因（必填，撤销时除外）')
    .option('--json', '以 JSON 输出')
    .action(
      (date: string, opts: { workday?: boolean; off?: boolean; remove?: boolean; reason?: string; json?: boolean }) =>
        runWithContext(async (ctx) => {
          if (opts.remove) {
            const removed = await ctx.calendar.removeOverride(date, 'cli');
            if (!removed) throw new CliError(`${date} 没有管理员调整`);
            return () => (opts.json ? stdout.json({ date, removed: true }) : stdout.text(`已撤销 ${date} 的调整。`));
          }
          if (!opts.workday && !opts.off) throw new CliError('请指定 --workday（上班）或 --off（休息）', 2);
          if (!opts.reason?.trim()) throw new CliError('请用 --reason 说明调整原因', 2);
          const cal = await ctx.calendar.setOverride({ date, workday: !!opts.workday, reason: opts.reason.trim() }, 'cli');
          const day = cal.day(date);
          return () =>
            opts.json
              ? stdout.json({ date, workday: day.workday, name: day.name, type: day.type })
              : stdout.text(`已将 ${date} 设为${day.workday ? '工作日' : '休息日'}（${opts.reason}）。`);
        }),
    );

  calendar
    .command('years')
    .description('列出已有节假日数据的年份')
    .option('--json', '以 JSON 输出')
    .action((opts: { json?: boolean }) =>
      runWithContext(async (ctx) => {
        const years = (await ctx.calendar.get()).coveredYears();
        return () => (opts.json ? stdout.json(years) : stdout.text(`已有节假日数据的年份：${years.join('、')}`));
      }),
    );
}
