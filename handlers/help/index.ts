/** 帮助, and what is left: a hint to send 帮助. */
import { match } from '../../src/chat/router';
import type { HandlerDeps, HandlerRouter } from '../deps';

export function registerHelp(chat: HandlerRouter, deps: HandlerDeps): void {
  chat.on('help', match.command(/^(帮助|help|菜单|\?|？)$/i), async (_m, ctx) => deps.queries.help(ctx.actor));
}

export function registerFallback(chat: HandlerRouter): void {
  chat.fallback(async (m, ctx) => {
    // Events (entering the app, unknown buttons) need no answer.
    if (m.msgType === 'event') return;
    await ctx.say('fallback');
  });
}
