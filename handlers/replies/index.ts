/**
 * The unit's side: 已整改 / 申请延期 / 有异议 (commands and card buttons), answers to pending
 * questions, screenshots, and free text (the rectification reply of the one open order).
 */
import { match, type ChatRouter, type InboundMessage } from '../../src/chat/router';
import { parseButtonKey } from '../../src/domain/messages/cards';
import type { Actor } from '../../src/domain/conversation/service';
import { STATE_LABELS } from '../../src/domain/workorders/states';
import { actorOf, isText, splitCommand, type HandlerDeps } from '../deps';

type Flow = 'rectify' | 'extension' | 'dispute';
const WORDS: Record<Flow, string> = { rectify: '已整改', extension: '申请延期', dispute: '有异议' };
const USAGE: Record<Flow, string> = { rectify: '已整改 工单编号 整改说明', extension: '申请延期 工单编号 理由', dispute: '有异议 工单编号 理由' };

export function registerReplies(chat: ChatRouter, deps: HandlerDeps): void {
  const c = deps.conversation;

  const run = async (a: Actor, flow: Flow, o: NonNullable<Awaited<ReturnType<typeof c.unitOrder>>>, text: string, responseCode: string | null) => {
    if (!text) return c.ask(a, flow, o, responseCode);
    if (flow === 'rectify') return c.submitRectification(a, o, text, responseCode);
    return c.submitRequest(a, o, flow, text, responseCode);
  };

  const command = (flow: Flow) => async (m: InboundMessage) => {
    const a = await actorOf(deps, m);
    const { code, rest } = splitCommand(m.content!, WORDS[flow]);
    if (code) {
      const o = await c.unitOrder(a, code);
      if (o) await run(a, flow, o, rest, null);
      return;
    }
    if (flow === 'rectify' && rest) return c.freeText(a, rest);
    const open = await c.openOrders(a, 'text');
    if (open.length === 1) return run(a, flow, open[0], rest, null);
    if (open.length === 0) return c.say(a, 'r', 'error.no_open');
    return c.say(a, 'r', 'error.usage', { usage: USAGE[flow] });
  };
  chat.on('rectified', match.command(/^已整改(\s|$|[:：])/), command('rectify'));
  chat.on('extension', match.command(/^申请延期(\s|$|[:：])/), command('extension'));
  chat.on('dispute', match.command(/^有异议(\s|$|[:：])/), command('dispute'));

  chat.on('order_button', match.cardEvent(/^wo:(done|ext|obj):\d+$/), async (m) => {
    const k = parseButtonKey(m.eventKey);
    if (!k || k.kind !== 'wo') return;
    const a = await actorOf(deps, m);
    const o = await c.unitOrder(a, k.id);
    if (!o) return;
    const flow: Flow = k.action === 'done' ? 'rectify' : k.action === 'ext' ? 'extension' : 'dispute';
    if (o.state !== 'notified') {
      // A rejected order waits to be notified again.
      const state = STATE_LABELS[o.state === 'rejected' ? 'new' : o.state];
      await c.say(a, 'r', 'error.state', { code: o.code, state, action: WORDS[flow] }, o.id);
      return;
    }
    await c.ask(a, flow, o, m.responseCode);
  });
}

/** Registered after every command: answers to questions, screenshots, free text. */
export function registerFreeInput(chat: ChatRouter, deps: HandlerDeps): void {
  const c = deps.conversation;
  chat.on('pending_answer', isText, async (m, ctx) => {
    const a = await actorOf(deps, m);
    if (await c.answerPending(a, m.content!)) return;
    if (c.isUnitContact(a)) return c.freeText(a, m.content!.trim());
    await c.say(a, 'r', 'fallback');
    void ctx;
  });
  chat.on('image', match.msgType('image'), async (m) => {
    const a = await actorOf(deps, m);
    if (!c.isUnitContact(a)) return c.say(a, 'r', 'fallback');
    if (!m.media) return c.say(a, 'r', 'fallback');
    await c.image(a, m.media);
  });
}
