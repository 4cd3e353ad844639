/** The supervisor's side: review card buttons, 通过 / 退回 / 同意延期 / 不同意 / 异议成立 / 异议不成立, 待审核, 逾期. */
import { match, type InboundMessage } from '../../src/chat/router';
import { parseButtonKey } from '../../src/domain/messages/cards';
import type { ReplyKind } from '../../src/domain/workorders/states';
import { splitCommand, type HandlerContext, type HandlerDeps, type HandlerRouter } from '../deps';

export function registerReview(chat: HandlerRouter, deps: HandlerDeps): void {
  const c = deps.review;
  const s = deps.support;
  chat.on('review_button', match.cardEvent(/^rv:(ok|no):\d+$/), async (m, ctx) => {
    const k = parseButtonKey(m.eventKey);
    if (!k || k.kind !== 'rv') return;
    await c.review(ctx.actor, k.id, k.action, { responseCode: m.responseCode, fromClick: true });
  });

  chat.on('pending_reviews', match.command(/^(待审核|待审批|待办)$/), async (_m, ctx) => deps.queries.pendingList(ctx.actor));
  chat.on('overdue', match.command(/^(逾期|逾期工单)$/), async (_m, ctx) => deps.queries.overdueList(ctx.actor));

  const verdict =
    (word: string, kind: ReplyKind, decision: 'ok' | 'no', usage: string) =>
    async (m: InboundMessage, ctx: HandlerContext) => {
      const { code, rest } = splitCommand(m.content!, word);
      if (!code) return ctx.say('error.usage', { usage });
      if (kind === 'extension' && decision === 'ok') {
        const date = rest ? await s.parseDate(rest) : null;
        if (rest && !date) return ctx.say('error.bad_date', { example_date: s.exampleDate() });
        return c.reviewByCode(ctx.actor, code, kind, decision, { date: date ?? undefined });
      }
      return c.reviewByCode(ctx.actor, code, kind, decision, { reason: rest || undefined });
    };
  chat.on('accept', match.command(/^(通过|审核通过)(\s|$)/), async (m, ctx) => {
    const word = m.content!.trim().startsWith('审核通过') ? '审核通过' : '通过';
    return verdict(word, 'rectified', 'ok', '通过 工单编号')(m, ctx);
  });
  chat.on('reject', match.command(/^退回(\s|$)/), verdict('退回', 'rectified', 'no', '退回 工单编号 理由'));
  chat.on('approve_extension', match.command(/^同意延期(\s|$)/), verdict('同意延期', 'extension', 'ok', '同意延期 工单编号 YYYY-MM-DD'));
  chat.on('refuse_extension', match.command(/^不同意(延期)?(\s|$)/), async (m, ctx) => {
    const word = m.content!.trim().startsWith('不同意延期') ? '不同意延期' : '不同意';
    return verdict(word, 'extension', 'no', '不同意 工单编号 理由')(m, ctx);
  });
  chat.on('uphold_dispute', match.command(/^异议成立(\s|$)/), verdict('异议成立', 'dispute', 'ok', '异议成立 工单编号'));
  chat.on('refuse_dispute', match.command(/^异议不成立(\s|$)/), verdict('异议不成立', 'dispute', 'no', '异议不成立 工单编号 理由'));
}
