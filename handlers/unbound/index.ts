/** Messages from WeCom users who are not known contacts: a polite 未绑定 reply, and the admins are told. */
import type { ChatRouter, InboundMessage } from '../../src/chat/router';
import type { HandlerDeps } from '../deps';

const ANSWERED = new Set(['text', 'image', 'voice', 'video', 'file', 'location', 'link']);

export function registerUnbound(chat: ChatRouter, deps: HandlerDeps): void {
  chat.on(
    'unbound',
    (m: InboundMessage) => m.contacts.length === 0 && (ANSWERED.has(m.msgType) || m.event === 'template_card_event'),
    (m) => deps.conversation.unbound(m.fromUserid, m.id, m.content),
  );
  // Entering the app or other events of unknown users: nothing to say.
  chat.on('unbound_event', (m: InboundMessage) => m.contacts.length === 0, () => undefined);
}
