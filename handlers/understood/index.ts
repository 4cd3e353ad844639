/** The unit's presses on the ask-back (提交整改 / 申请延期 / 提出异议) and on a candidate order. */
import { match, type ChatRouter } from '../../src/chat/router';
import { UNDERSTOOD_KEY } from '../../src/domain/conversation/understood';
import { actorOf, type HandlerDeps } from '../deps';

export function registerUnderstood(chat: ChatRouter, deps: HandlerDeps): void {
  chat.on('understood_button', match.cardEvent(UNDERSTOOD_KEY), async (m) => {
    const u = deps.conversation.understoodReplies();
    if (!u) return;
    await u.button(await actorOf(deps, m), m.eventKey ?? '');
  });
}
