/**
 * The unit's side: 已整改 / 申请延期 / 有异议 (commands and card buttons), answers to pending
 * questions, screenshots, and free text (the rectification reply of the one open order).
 */
import { match, type InboundMessage } from '../../src/chat/router';
import { parseButtonKey } from '../../src/domain/messages/cards';
import { staleStatus } from '../../src/domain/conversation/card-refresh';
import type { Actor } from '../../src/domain/conversation/support';
import { isText, splitCommand, type HandlerContext, type HandlerDeps, type HandlerRouter } from '../deps';

type Flow = 'rectify' | 'extension' | 'dispute';
const WORDS: Record<Flow, string> = { rectify: '已整改', extension: '申请延期', dispute: '有异议' };
const USAGE: Record<Flow, string> = { rectify: '已整改 工单编号 整改说明', extension: '申请延期 工单编号 理由', dispute: '有异议 工单编号 理由' };

export function registerReplies(chat: HandlerRouter, deps: HandlerDeps): void {
  const c = deps.replies;
  const s = deps.support;

  const run = async (a: Actor, flow: Flow, o: NonNullable<Awaited<ReturnType<typeof s.unitOrder>>>, text: string, responseCode: string | null) => {
    if (!text) return s.ask(a, flow, o, responseCode);
    if (flow === 'rectify') return c.submitRectification(a, o, text, responseCode);
    return c.submitRequest(a, o, flow, text, responseCode);
  };

  const command = (flow: Flow) => async (m: InboundMessage, ctx: HandlerContext) => {
    const a = ctx.actor;
    const { code, rest } = splitCommand(m.content!, WORDS[flow]);
    if (code) {
      const o = await s.unitOrder(a, code);
      if (o) await run(a, flow, o, rest, null);
      return;
    }
    if (flow === 'rectify' && rest) return c.freeText(a, m.content!.trim());
    const open = await s.openOrders(a, 'text');
    if (open.length === 1) return run(a, flow, open[0], rest, null);
    if (open.length === 0) return ctx.say('error.no_open');
    return ctx.say('error.usage', { usage: USAGE[flow] });
  };
  chat.on('rectified', match.command(/^已整改(\s|$|[:：])/), command('rectify'));
  chat.on('extension', match.command(/^申请延期(\s|$|[:：])/), command('extension'));
  chat.on('dispute', match.command(/^有异议(\s|$|[:：])/), command('dispute'));

  chat.on('order_button', match.cardEvent(/^wo:(done|ext|obj):\d+$/), async (m, ctx) => {
    const k = parseButtonKey(m.eventKey);
    if (!k || k.kind !== 'wo') return;
    const a = ctx.actor;
    const o = await s.unitOrder(a, k.id);
    if (!o) return;
    const flow: Flow = k.action === 'done' ? 'rectify' : k.action === 'ext' ? 'extension' : 'dispute';
    if (o.state !== 'notified') {
      await ctx.say('card.stale', { code: o.code, status: staleStatus(o) }, { workOrderId: o.id });
      return;
    }
    await s.ask(a, flow, o, m.responseCode);
  });
}

/** Registered after every command: answers to questions, screenshots, free text. */
export function registerFreeInput(chat: HandlerRouter, deps: HandlerDeps): void {
  const c = deps.replies;
  const s = deps.support;
  chat.on('pending_answer', isText, async (m, ctx) => {
    const a = ctx.actor;
    if (await c.answerPending(a, m.content!)) return;
    if (s.isUnitContact(a)) return c.freeText(a, m.content!.trim());
    await ctx.say('fallback');
  });
  chat.on('image', match.msgType('image'), async (m, ctx) => {
    const a = ctx.actor;
    if (!s.isUnitContact(a) || !m.media) return ctx.say('fallback');
    await c.image(a, m.media);
  });
}
