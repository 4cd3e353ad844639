/** `cli understand "TEXT" [--at ISO] [--user USERID] --json`: what the bot reads in a reply. */
import type { Command } from 'commander';
import { CliError, runWithContext, stdout } from '../runner';
import { parseInstant } from '../../domain/calendar/dates';

export function registerUnderstand(program: Command): void {
  program
    .command('understand')
    .description('理解一条回复：意图、日期、所指工单（与机器人收到该回复时的理解一致）')
    .argument('<文本>', '回复的文字，例如 “栏目内容较多，申请延期到下周五”')
    .option('--at <ISO>', '回复的时刻，ISO-8601（默认现在；无时区时按业务时区）')
    .option('--user <USERID>', '发送人的企业微信账号：在其单位的待整改工单中确定所指工单')
    .option('--json', '以 JSON 输出')
    .action((text: string, opts: { at?: string; user?: string; json?: boolean }) =>
      runWithContext(async (ctx) => {
        const zone = ctx.deadlineSettings.zone;
        const at = opts.at ? parseInstant(opts.at, zone) : ctx.clock.now();
        if (!at) throw new CliError(`--at 不是有效的 ISO-8601 时刻：“${opts.at}”`, 2);
        const conv = ctx.chat.support;
        let open: Awaited<ReturnType<typeof conv.openOrders>> = [];
        if (opts.user) {
          const actor = await conv.actor(opts.user, 0);
          if (!actor.contacts.length) throw new CliError(`未找到企业微信账号为“${opts.user}”的联系人`, 2);
          open = await conv.openOrders(actor, 'text');
        }
        const u = await ctx.chat.understood.understand(text, open, at);
        const result = {
          intent: u.intent,
          until: u.until,
          order: u.resolution.order?.code ?? null,
          confidence: u.confidence,
          ...(opts.user && !u.resolution.order ? { candidates: u.resolution.candidates.map((o) => o.code) } : {}),
        };
        return () =>
          opts.json
            ? process.stdout.write(`${JSON.stringify(result)}\n`)
            : stdout.text(
                `意图：${u.intent}（把握 ${u.confidence}）`,
                `日期：${u.until ?? '—'}`,
                `工单：${result.order ?? (opts.user ? `未确定（候选 ${u.resolution.candidates.map((o) => o.code).join('、') || '无'}）` : '—')}`,
              );
      }),
    );
}
