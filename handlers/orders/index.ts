/** 我的工单, 工单 <编号>, and the card's 查看详情. */
import { match, type ChatRouter } from '../../src/chat/router';
import { parseButtonKey } from '../../src/domain/messages/cards';
import { actorOf, splitCommand, type HandlerDeps } from '../deps';

export function registerOrders(chat: ChatRouter, deps: HandlerDeps): void {
  const c = deps.conversation;
  chat.on('my_orders', match.command(/^(我的工单|工单列表|查看工单)$/), async (m) => c.myOrders(await actorOf(deps, m)));
  chat.on('order_detail', match.command(/^(工单|查询)\s*[:：]?\s*\S+$/), async (m) => {
    const a = await actorOf(deps, m);
    const word = m.content!.trim().startsWith('工单') ? '工单' : '查询';
    const { code, rest } = splitCommand(m.content!, word);
    await c.detail(a, code ?? rest);
  });
  chat.on('view_button', match.cardEvent('wo:view:'), async (m) => {
    const k = parseButtonKey(m.eventKey);
    if (k) await c.detail(await actorOf(deps, m), k.id);
  });
}
