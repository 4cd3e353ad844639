/** The product's chat handlers, in the order they are tried (the first match wins). */
import type { ChatRouter } from '../src/chat/router';
import { resolveActor, type HandlerDeps } from './deps';
import { registerFallback, registerHelp } from './help';
import { registerOrders } from './orders';
import { registerMonitoring } from './monitoring';
import { registerFreeInput, registerReplies } from './replies';
import { registerRecheck } from './recheck';
import { registerReview } from './review';
import { registerUnbound } from './unbound';
import { registerUnderstood } from './understood';

export function registerChatHandlers(router: ChatRouter, deps: HandlerDeps): void {
  // The sender is resolved once per message, before any handler runs.
  const chat = router.use(resolveActor(deps));
  registerUnbound(chat, deps);
  registerHelp(chat, deps);
  registerOrders(chat, deps);
  registerRecheck(chat, deps);
  registerMonitoring(chat, deps);
  registerReplies(chat, deps);
  registerReview(chat, deps);
  registerUnderstood(chat, deps);
  registerFreeInput(chat, deps);
  registerFallback(chat);
}
