/** 帮助, and what is left: a hint to send 帮助. */
import { match, type ChatRouter } from '../../src/chat/router';
import { actorOf, type HandlerDeps } from '../deps';

export function registerHelp(chat: ChatRouter, deps: HandlerDeps): void {
  chat.on('help', match.command(/^(帮助|help|菜单|\?|？)$/i), async (m) => deps.conversation.help(await actorOf(deps, m)));
}

export function registerFallback(chat: ChatRouter, deps: HandlerDeps): void {
  chat.fallback(async (m) => {
    // Events (entering the app, unknown buttons) need no answer.
    if (m.msgType === 'event') return;
    const a = await actorOf(deps, m);
    await deps.conversation.say(a, 'r', 'fallback');
  });
}
