/** The product's chat handlers, in the order they are tried (the first match wins). */
import type { ChatRouter } from '../src/chat/router';
import type { HandlerDeps } from './deps';
import { registerFallback, registerHelp } from './help';
import { registerOrders } from './orders';
import { registerMonitoring } from './monitoring';
import { registerFreeInput, registerReplies } from './replies';
import { registerRecheck } from './recheck';
import { registerReview } from './review';
import { registerUnbound } from './unbound';
import { registerUnderstood } from './understood';

export function registerChatHandlers(chat: ChatRouter, deps: HandlerDeps): void {
  registerUnbound(chat, deps);
  registerHelp(chat, deps);
  registerOrders(chat, deps);
  registerRecheck(chat, deps);
  registerMonitoring(chat, deps);
  registerReplies(chat, deps);
  registerReview(chat, deps);
  registerUnderstood(chat, deps);
  registerFreeInput(chat, deps);
  registerFallback(chat, deps);
}
