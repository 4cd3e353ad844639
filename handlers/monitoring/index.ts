/** Admins: 转工单 (a forwarded or pasted platform message), the draft card's 确认建单 / 取消, 更正 字段：值, and order-like text offered as a work order. */
import { match, type InboundMessage } from '../../src/chat/router';
import { DRAFT_KEY, isAdminMessage } from '../../src/domain/monitoring/chat';
import { looksLikeOrder } from '../../src/domain/monitoring/parse';
import { isText, type HandlerDeps, type HandlerRouter } from '../deps';

const TO_ORDER = /^\s*转工单[\s:：]*|[\s:：]*转工单\s*$/;
/** Commands of the other handlers: never taken for a pasted order. */
const COMMAND = /^\s*(已整改|申请延期|有异议|通过|审核通过|退回|同意延期|不同意|异议成立|异议不成立|工单|查询|我的工单|帮助|更正)/;

export function registerMonitoring(chat: HandlerRouter, deps: HandlerDeps): void {
  const mc = deps.monitoring;
  if (!mc) return;
  // "转工单" first or last, the platform message around it.
  chat.on('to_work_order', (m) => isText(m) && TO_ORDER.test(m.content!), async (m, ctx) => mc.fromText(m, m.content!.replace(TO_ORDER, ''), ctx, false));
  chat.on('work_order_draft_button', match.cardEvent(DRAFT_KEY), async (m, ctx) => mc.onButton(m, ctx));
  chat.on('correct_work_order', match.command(/^更正(\s|$|[:：])/), async (m, ctx) => mc.correct(m, m.content!.trim().replace(/^更正[\s:：]*/, ''), ctx));
  // An admin's text that reads like a platform's work order: offered as one.
  chat.on('looks_like_work_order', (m: InboundMessage) => isText(m) && isAdminMessage(m) && !COMMAND.test(m.content!) && looksLikeOrder(m.content!), async (m, ctx) =>
    mc.fromText(m, m.content!, ctx, true),
  );
}
