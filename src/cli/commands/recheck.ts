/**
 * `cli recheck CODE` re-checks an order's website now (stored as evidence on the order);
 * `cli recheck --url URL --problem TEXT [--at ISO]` checks any address against a problem text
 * (nothing stored). Both print {"verdict", "url", "checks": [{"name", "result", "detail"}]}.
 */
import type { Command } from 'commander';
import { CliError, runWithContext, stdout } from '../runner';
import { parseInstant } from '../../domain/calendar/dates';
import { toUrl } from '../../domain/recheck/address';
import { classifyProblem } from '../../domain/import/problems';
import { CHECK_LABELS, RESULT_LABELS, reportJson } from '../../domain/recheck/types';

interface Opts {
  url?: string;
  problem?: string[];
  kind?: string;
  name?: string;
  at?: string;
  json?: boolean;
}

export function registerRecheck(program: Command): void {
  program
    .command('recheck')
    .description('自动复查网站：按工单编号复查（结果存为工单证据），或按 --url 与 --problem 检查任意网址')
    .argument('[code]', '工单编号，例如 2026-0001')
    .option('--url <URL>', '要检查的网址（不按工单时）')
    .option('--problem <TEXT>', '问题描述，可重复（不按工单时），例如 “通知公告”栏目更新不及时', (v: string, prev: string[] = []) => [...prev, v])
    .option('--kind <KIND>', '对象类型：website（默认）或 column')
    .option('--name <NAME>', '对象名称（不按工单时）')
    .option('--at <ISO>', '按此时刻判断更新情况，ISO-8601；默认现在')
    .option('--json', '以 JSON 输出')
    .action((code: string | undefined, opts: Opts) =>
      runWithContext(async (ctx) => {
        const at = opts.at ? parseInstant(opts.at, ctx.config.businessTz) : ctx.clock.now();
        if (!at) throw new CliError(`--at 不是有效的 ISO-8601 时刻：“${opts.at}”`, 2);
        let out: ReturnType<typeof reportJson>;
        if (code) {
          if (opts.url || opts.problem) throw new CliError('按工单编号复查时不能同时给出 --url 或 --problem', 2);
          const o = await ctx.recheck.service.order(code);
          if (!o) throw new CliError(`未找到工单 ${code}`, 1);
          const run = await ctx.recheck.service.run(o.id, 'manual', 'cli');
          if (run.error) throw new CliError(`复查出错：${run.error}`, 1);
          out = reportJson({ verdict: run.verdict ?? 'unknown', url: run.url, checks: run.checks });
        } else {
          if (!opts.url) throw new CliError('请给出工单编号，或 --url 网址 与 --problem 问题描述', 2);
          const url = toUrl(opts.url);
          if (!url) throw new CliError(`网址无效：“${opts.url}”，须为 http:// 或 https:// 开头的网站地址`, 2);
          if (opts.kind && opts.kind !== 'website' && opts.kind !== 'column') throw new CliError('--kind 须为 website 或 column', 2);
          const problems = (opts.problem ?? []).map((text) => ({ text, category: classifyProblem(text) }));
          const report = await ctx.recheck.checker.check({ url, targetKind: opts.kind ?? 'website', targetName: opts.name ?? new URL(url).hostname, problems, at });
          out = reportJson(report);
        }
        return () =>
          opts.json
            ? stdout.json(out)
            : stdout.text(
                `结论：${RESULT_LABELS[out.verdict]}（${out.url ?? '无网址'}）`,
                ...out.checks.map((c) => `${CHECK_LABELS[c.name]}：${RESULT_LABELS[c.result]}，${c.detail}`),
              );
      }),
    );
}
