/** The unit's presses on the ask-back (提交整改 / 申请延期 / 提出异议) and on a candidate order. */
import { match } from '../../src/chat/router';
import { UNDERSTOOD_KEY } from '../../src/domain/conversation/understood';
import type { HandlerDeps, HandlerRouter } from '../deps';

export function registerUnderstood(chat: HandlerRouter, deps: HandlerDeps): void {
  chat.on('understood_button', match.cardEvent(UNDERSTOOD_KEY), async (m, ctx) => {
    const u = deps.understood;
    if (!u) return;
    await u.button(ctx.actor, m.eventKey ?? '');
  });
}
