/** `cli deadline …` and `cli rules …`: deadlines and the admin rules that set them. */
import { Command, Option } from 'commander';
import { hhmmArg, positiveInt } from '../args';
import { CliError, runWithContext, stdout } from '../runner';
import { computeDueDetailed, type DeadlineRule } from '../../domain/deadlines/deadline';
import { provisionalNote } from '../../domain/messages/due';
import { formatInstant, formatInstantZh, parseInstant } from '../../domain/calendar/dates';
import type { RuleInput } from '../../domain/deadlines/rules';
import { effectiveDeadlines } from '../../domain/deadlines/effective';
import { CATEGORIES, TARGET_KINDS, isCategory, isTargetKind } from '../../domain/problems/taxonomy';

export function registerDeadline(program: Command): void {
  program
    .command('deadline')
    .description('计算期限：从某一时刻起 N 个工作日（或自然日）后的截止时刻')
    .requiredOption('--from <ISO>', '起算时刻，ISO-8601，例如 2025-09-30T16:00+08:00（无时区时按业务时区）')
    .addOption(new Option('--working-days <N>', '工作日数').argParser(positiveInt('工作日数', 365)).conflicts('calendarDays'))
    .addOption(new Option('--calendar-days <N>', '自然日数（到期日遇休息日顺延）').argParser(positiveInt('自然日数', 365)))
    .option('--cutoff <HH:MM>', '截止时刻，默认 WORKDAY_CUTOFF', hhmmArg)
    .option('--json', '以 JSON 输出')
    .action((opts: { from: string; workingDays?: number; calendarDays?: number; cutoff?: string; json?: boolean }) =>
      runWithContext(async (ctx) => {
        const zone = ctx.deadlineSettings.zone;
        const from = parseInstant(opts.from, zone);
        if (!from) throw new CliError(`--from 不是有效的 ISO-8601 时刻：“${opts.from}”`, 2);
        const spec =
          opts.calendarDays !== undefined
            ? { amount: opts.calendarDays, unit: 'calendar_days' as const, cutoff: opts.cutoff }
            : { amount: opts.workingDays ?? ctx.deadlineSettings.defaultWorkingDays, unit: 'working_days' as const, cutoff: opts.cutoff };
        const { due, provisional } = computeDueDetailed(from, spec, await ctx.calendar.get(), ctx.deadlineSettings);
        const result = { from: formatInstant(from, zone), due: formatInstant(due, zone), provisional };
        return () =>
          opts.json
            ? stdout.json(result)
            : stdout.text(
                `起算：${formatInstantZh(from, zone)}`,
                `截止：${formatInstantZh(due, zone)}${provisional ? provisionalNote(due, zone) : ''}`,
              );
      }),
    );

  const rules = program.command('rules').description('管理期限规则（按来源、对象类型、问题类别设定期限）');

  const ruleOptions = (cmd: Command) =>
    cmd
      .option('--source <S>', '通报来源，例如 monitoring（省监测平台工单）；不填表示任意')
      .option('--kind <KIND>', '对象类型：website / column / newmedia；不填表示任意')
      .option('--category <C>', '问题类别，例如 not_updated；不填表示任意')
      .addOption(new Option('--working-days <N>', '期限：工作日数').argParser(positiveInt('工作日数', 365)).conflicts('calendarDays'))
      .addOption(new Option('--calendar-days <N>', '期限：自然日数').argParser(positiveInt('自然日数', 365)))
      .option('--cutoff <HH:MM>', '截止时刻，默认 WORKDAY_CUTOFF', hhmmArg)
      .option('--note <TEXT>', '备注')
      .option('--json', '以 JSON 输出');

  type RuleOpts = { source?: string; kind?: string; category?: string; workingDays?: number; calendarDays?: number; cutoff?: string; note?: string; json?: boolean };
  const toInput = (o: RuleOpts): RuleInput => {
    if (o.workingDays === undefined && o.calendarDays === undefined) {
      throw new CliError('请用 --working-days N 或 --calendar-days N 指定期限', 2);
    }
    return {
      source: o.source,
      targetKind: o.kind,
      category: o.category,
      amount: (o.workingDays ?? o.calendarDays)!,
      unit: o.workingDays !== undefined ? 'working_days' : 'calendar_days',
      cutoff: o.cutoff,
      note: o.note,
    };
  };
  const kindLabel = (k: string | null) => (k === null ? '任意' : isTargetKind(k) ? TARGET_KINDS[k] : k);
  const categoryLabel = (c: string | null) => (c === null ? '任意' : isCategory(c) ? CATEGORIES[c] : c);
  const describe = (r: DeadlineRule) =>
    `#${r.id} ${r.active ? '' : '[已停用] '}来源=${r.source ?? '任意'} 对象=${kindLabel(r.targetKind)} 类别=${categoryLabel(r.category)} → ` +
    `${r.amount} 个${r.unit === 'working_days' ? '工作日' : '自然日'}${r.cutoff ? `，${r.cutoff} 截止` : ''}${r.note ? `（${r.note}）` : ''}`;

  rules
    .command('list')
    .description('列出期限规则')
    .option('--all', '包括已停用的规则')
    .option('--json', '以 JSON 输出')
    .action((opts: { all?: boolean; json?: boolean }) =>
      runWithContext(async (ctx) => {
        const list = await ctx.deadlineRules.list({ includeInactive: opts.all });
        const active = opts.all ? await ctx.deadlineRules.list() : list;
        const table = effectiveDeadlines(active, await ctx.calendar.get(), ctx.deadlineSettings, ctx.clock.now());
        // Only the rows a rule decides (the rest get the default, said once).
        const ruled = table.filter((r) => r.basis === 'rule');
        return () =>
          opts.json
            ? stdout.json(list)
            : stdout.text(
                list.length ? list.map(describe).join('\n') : `没有期限规则：默认 ${ctx.deadlineSettings.defaultWorkingDays} 个工作日。`,
                '',
                '现行规则下新工单的期限（若现在通知）：',
                ...ruled.map((r) => `  ${r.target_kind_label} / ${r.category_label}：${r.basis_label}，截止 ${r.due_label}`),
                `  其余对象类型与问题类别：默认 ${ctx.deadlineSettings.defaultWorkingDays} 个工作日`,
              );
      }),
    );

  ruleOptions(rules.command('add').description('新增期限规则')).action((opts: RuleOpts) =>
    runWithContext(async (ctx) => {
      const rule = await ctx.deadlineRules.create(toInput(opts), 'cli', ctx.clock.now());
      return () => (opts.json ? stdout.json(rule) : stdout.text(`已新增：${describe(rule)}`));
    }),
  );

  ruleOptions(rules.command('update').description('修改期限规则').argument('<ID>', '规则编号', positiveInt('规则编号', 1e9))).action(
    (id: number, opts: RuleOpts) =>
      runWithContext(async (ctx) => {
        const rule = await ctx.deadlineRules.update(id, toInput(opts), 'cli', ctx.clock.now());
        return () => (opts.json ? stdout.json(rule) : stdout.text(`已修改：${describe(rule)}`));
      }),
  );

  rules
    .command('disable')
    .description('停用期限规则（保留记录）')
    .argument('<ID>', '规则编号', positiveInt('规则编号', 1e9))
    .action((id: number) =>
      runWithContext(async (ctx) => {
        await ctx.deadlineRules.deactivate(id, 'cli', ctx.clock.now());
        return () => stdout.text(`已停用规则 #${id}。`);
      }),
    );
}
