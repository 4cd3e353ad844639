/** Messages from WeCom users who are not known contacts: a polite 未绑定 reply, and the admins are told. */
import type { InboundMessage } from '../../src/chat/router';
import type { HandlerDeps, HandlerRouter } from '../deps';

const ANSWERED = new Set(['text', 'image', 'voice', 'video', 'file', 'location', 'link']);

export function registerUnbound(chat: HandlerRouter, deps: HandlerDeps): void {
  chat.on(
    'unbound',
    (m: InboundMessage) => m.contacts.length === 0 && (ANSWERED.has(m.msgType) || m.event === 'template_card_event'),
    (m, ctx) => deps.queries.unbound(ctx.actor, m.content),
  );
  // Entering the app or other events of unknown users: nothing to say.
  chat.on('unbound_event', (m: InboundMessage) => m.contacts.length === 0, () => undefined);
}
