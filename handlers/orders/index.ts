/** 我的工单, 工单 <编号>, and the card's 查看详情. */
import { match } from '../../src/chat/router';
import { parseButtonKey } from '../../src/domain/messages/cards';
import { splitCommand, type HandlerDeps, type HandlerRouter } from '../deps';

export function registerOrders(chat: HandlerRouter, deps: HandlerDeps): void {
  const c = deps.queries;
  chat.on('my_orders', match.command(/^(我的工单|工单列表|查看工单)$/), async (_m, ctx) => c.myOrders(ctx.actor));
  chat.on('order_detail', match.command(/^(工单|查询)\s*[:：]?\s*\S+$/), async (m, ctx) => {
    const word = m.content!.trim().startsWith('工单') ? '工单' : '查询';
    const { code, rest } = splitCommand(m.content!, word);
    await c.detail(ctx.actor, code ?? rest);
  });
  chat.on('view_button', match.cardEvent('wo:view:'), async (m, ctx) => {
    const k = parseButtonKey(m.eventKey);
    if (k) await c.detail(ctx.actor, k.id);
  });
}
