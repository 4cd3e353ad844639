/** `cli tick --at ISO`: run every job due at that instant, exactly as the scheduler would. */
import type { Command } from 'commander';
import { CliError, runWithContext, stdout } from '../runner';
import { parseInstant } from '../../domain/calendar/dates';
import { JobRunner, type JobReport } from '../../jobs/runner';
import { buildJobs } from '../../jobs';

const STATUS_LABELS: Record<JobReport['status'], string> = {
  ran: '已执行',
  skipped: '跳过',
  failed: '失败',
  already_done: '该时段已执行过',
  busy: '正在执行',
  locked: '其他实例正在执行',
};

export function registerTick(program: Command): void {
  program
    .command('tick')
    .description('按给定时刻运行所有到点的定时任务（与调度器同一流程；同一时刻重复运行不会重复执行）')
    .option('--at <ISO>', '时刻，ISO-8601；默认现在')
    .option('--json', '以 JSON 输出')
    .action((opts: { at?: string; json?: boolean }) =>
      runWithContext(async (ctx) => {
        const at = opts.at ? parseInstant(opts.at, ctx.config.businessTz) : ctx.clock.now();
        if (!at) throw new CliError(`--at 不是有效的 ISO-8601 时刻：“${opts.at}”`, 2);
        const report = await new JobRunner(ctx, buildJobs(ctx), `cli-${process.pid}-${Date.now().toString(36)}`).tick(at);
        const failed = report.jobs.filter((j) => j.status === 'failed');
        if (failed.length) process.exitCode = 1;
        return () =>
          opts.json
            ? stdout.json(report)
            : stdout.text(
                `时刻 ${report.at}`,
                ...report.jobs.map(
                  (j) =>
                    `${j.title}（${j.slot}）：${STATUS_LABELS[j.status]}` +
                    (j.result ? ` ${JSON.stringify(j.result)}` : '') +
                    (j.error ? ` ${j.error}` : ''),
                ),
              );
      }),
    );
}
