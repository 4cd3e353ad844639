/** What chat handlers get: the conversation services (no SQL, no HTTP in handlers), and the context's actor. */
import type { ChatContext, ChatRouter, InboundMessage, Middleware } from '../src/chat/router';
import type { Actor, ConversationSupport } from '../src/domain/conversation/support';
import type { ConversationReplies } from '../src/domain/conversation/replies';
import type { ConversationReview } from '../src/domain/conversation/review';
import type { ConversationQueries } from '../src/domain/conversation/queries';
import type { UnderstoodReplies } from '../src/domain/conversation/understood';
import type { TemplateVars } from '../src/domain/messages/templates';
import type { RecheckService } from '../src/domain/recheck/service';
import type { MonitoringChat } from '../src/domain/monitoring/chat';

export interface HandlerDeps {
  support: ConversationSupport;
  replies: ConversationReplies;
  review: ConversationReview;
  queries: ConversationQueries;
  /** Free text understood as people write it (the ask-back's buttons); absent: those are not registered. */
  understood?: UnderstoodReplies | null;
  /** Automatic re-checks (null: turned off). */
  recheck?: RecheckService | null;
  /** Monitoring orders from the chat (转工单); absent: those handlers are not registered. */
  monitoring?: MonitoringChat;
}

/** What the actor middleware puts on every handler's context. */
export interface ActorContext {
  /** The sender with their contacts, resolved once per inbound message. */
  actor: Actor;
  /** Replies to the sender with a message template (idempotent per inbound message and tag, default 'r'). */
  say(key: string, vars?: TemplateVars, options?: { workOrderId?: number | null; tag?: string }): Promise<void>;
}

export type HandlerContext = ChatContext & ActorContext;
export type HandlerRouter = ChatRouter<ActorContext>;

/** The global middleware: looks the sender up once and gives the handlers `ctx.actor` and `ctx.say`. */
export function resolveActor(deps: HandlerDeps): Middleware<ActorContext> {
  return async (m, ctx, next) => {
    const actor = await deps.support.actor(m.fromUserid, m.id);
    ctx.actor = actor;
    ctx.say = (key, vars = {}, options = {}) => deps.support.say(actor, options.tag ?? 'r', key, vars, options.workOrderId ?? null);
    await next();
  };
}

/** A work-order code as users type it: 2022-0001 (full-width digits and dashes accepted). */
export const CODE = /^\d{4}[-－—]\d{1,8}$/;

export function normalizeCode(s: string): string {
  return s.normalize('NFKC').replace(/[—－]/g, '-');
}

/** Splits "命令 编号 其余" into the code (when the first word is one) and the rest. */
export function splitCommand(text: string, command: string): { code: string | null; rest: string } {
  const body = text.trim().slice(command.length).replace(/^[\s:：,，]+/, '');
  const [first] = body.split(/\s+/);
  const f = normalizeCode(first ?? '');
  if (first && CODE.test(f)) return { code: f, rest: body.slice(first.length).trim() };
  return { code: null, rest: body.trim() };
}

export const isText = (m: InboundMessage) => m.msgType === 'text' && m.content !== null;
