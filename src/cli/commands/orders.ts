/** `cli orders add`: one monitoring work order (内容监测工单), as the console's form and the API make it. */
import type { Command } from 'commander';
import { CliError, runWithContext, stdout } from '../runner';
import { formatInstantZh, parseInstant } from '../../domain/calendar/dates';
import { MonitoringInputError } from '../../domain/monitoring/service';

interface AddOpts {
  unit?: string;
  target: string;
  platform?: string;
  kind?: string;
  problem: string;
  source?: string;
  externalNo?: string;
  externalUrl?: string;
  receivedAt?: string;
  dueAt?: string;
  json?: boolean;
}

export function registerOrders(program: Command): void {
  const orders = program.command('orders').description('监测工单：逐条录入省监管平台、市级监测等来源的内容监测工单');
  orders
    .command('add')
    .description('新建一张监测工单（同一来源的同一平台工单编号只建一次；未登记的单位、对象自动登记）')
    .requiredOption('--target <T>', '对象名称（账号名或网站名）')
    .requiredOption('--problem <TEXT>', '问题描述')
    .option('--unit <U>', '主办单位（已登记的对象可不填）')
    .option('--platform <P>', '平台，例如 微信公众号、新浪微博、抖音、网站')
    .option('--kind <KIND>', '对象类型：website / column / newmedia（默认按平台判断）')
    .option('--source <S>', '来源，例如 省监管平台（默认来源列表第一项）')
    .option('--external-no <N>', '平台工单编号')
    .option('--external-url <URL>', '平台工单链接')
    .option('--received-at <ISO>', '接收时刻，ISO-8601（默认现在；无时区按业务时区）')
    .option('--due-at <ISO>', '平台注明的办理时限（默认按期限规则：接收后 1 个工作日）')
    .option('--json', '以 JSON 输出')
    .action((opts: AddOpts) =>
      runWithContext(async (ctx) => {
        const zone = ctx.config.businessTz;
        const when = (v: string | undefined, flag: string) => {
          if (v === undefined) return null;
          const d = parseInstant(v, zone);
          if (!d) throw new CliError(`${flag} 不是有效的 ISO-8601 时刻：“${v}”`, 2);
          return d;
        };
        let r;
        try {
          r = await ctx.monitoring.create(
            {
              target: opts.target,
              unit: opts.unit ?? null,
              platform: opts.platform ?? null,
              kind: opts.kind ?? null,
              problem: opts.problem,
              source: opts.source ?? null,
              externalNo: opts.externalNo ?? null,
              externalUrl: opts.externalUrl ?? null,
              receivedAt: when(opts.receivedAt, '--received-at'),
              dueAt: when(opts.dueAt, '--due-at'),
            },
            'cli',
          );
        } catch (e) {
          if (e instanceof MonitoringInputError) throw new CliError(e.message, 2);
          throw e;
        }
        const result = r;
        return () =>
          opts.json
            ? stdout.json(result)
            : stdout.text(
                result.created
                  ? `已新建工单 ${result.code}：${result.unit ?? '—'} · ${result.target}，办理时限 ${result.due_at ? formatInstantZh(new Date(result.due_at), zone) : '—'}`
                  : `该平台工单已录入过（工单 ${result.code}），未重复新建`,
              );
      }),
    );
}
