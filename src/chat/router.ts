/**
 * The chat router: handlers register with a matcher (message type, text command, card button,
 * event); the first match wins; a fallback takes the rest. No SQL, no HTTP: the processor gives
 * each handler a typed message and a `reply()` that goes through the outbox.
 *
 * Global middleware (`use`) runs once per inbound message before any route, in the order it was
 * added, and puts what every handler needs on the context (the sender as an actor, a `say`);
 * a middleware that does not call `next()` ends the message there.
 */
import type { OutgoingMessage } from '../wecom/client';

export interface InboundContact {
  id: number;
  name: string | null;
  role: string;
  unitId: number | null;
}

export interface InboundMedia {
  mediaId: string;
  storagePath: string;
  mime: string | null;
  size: number;
  sha256: string;
}

export interface InboundMessage {
  /** inbound_messages.id */
  id: number;
  fromUserid: string;
  msgType: string;
  content: string | null;
  event: string | null;
  eventKey: string | null;
  taskId: string | null;
  responseCode: string | null;
  mediaId: string | null;
  picUrl: string | null;
  msgId: string | null;
  createTime: Date | null;
  receivedAt: Date;
  /** Active contacts with this userid (one person may serve several units). */
  contacts: InboundContact[];
  /** The downloaded file of an image/file message, when the download succeeded. */
  media: InboundMedia | null;
}

export interface ReplyOptions {
  /** Distinguishes several replies of one handler run (default: their order). */
  key?: string;
  workOrderId?: number | null;
  purpose?: string;
}

export interface ChatContext {
  /** Replies to the sender through the outbox; idempotent per inbound message. */
  reply(message: string | OutgoingMessage, options?: ReplyOptions): Promise<void>;
  /** Replaces the clicked card's button text (template_card_event only). */
  updateCard(replaceName: string): Promise<void>;
}

export type Matcher = (m: InboundMessage) => boolean;
/** A route's handler: `X` is what the router's middleware adds to the context. */
export type Handler<X extends object = object> = (m: InboundMessage, ctx: ChatContext & X) => Promise<void> | void;
/** Runs before the routes; fills in `X` on the context and calls `next()` to go on. */
export type Middleware<X extends object = object> = (m: InboundMessage, ctx: ChatContext & Partial<X>, next: () => Promise<void>) => Promise<void>;

/** What the inbound processor needs of a router. */
export interface ChatDispatcher {
  dispatch(m: InboundMessage, ctx: ChatContext): Promise<string | null>;
}

export const match = {
  msgType:
    (...types: string[]): Matcher =>
    (m) =>
      types.includes(m.msgType),
  /** A text message starting with a command word (after trimming; case-insensitive) or matching a regex. */
  command:
    (pattern: string | RegExp): Matcher =>
    (m) => {
      if (m.msgType !== 'text' || m.content === null) return false;
      const text = m.content.trim();
      if (pattern instanceof RegExp) return pattern.test(text);
      return text.toLowerCase().startsWith(pattern.toLowerCase());
    },
  /** A template card button: by exact key, key prefix ending in ':' or regex. */
  cardEvent:
    (key: string | RegExp): Matcher =>
    (m) => {
      if (m.msgType !== 'event' || m.event !== 'template_card_event' || m.eventKey === null) return false;
      if (key instanceof RegExp) return key.test(m.eventKey);
      return key.endsWith(':') ? m.eventKey.startsWith(key) : m.eventKey === key;
    },
  event:
    (...names: string[]): Matcher =>
    (m) =>
      m.msgType === 'event' && m.event !== null && names.includes(m.event),
  all:
    (...ms: Matcher[]): Matcher =>
    (m) =>
      ms.every((f) => f(m)),
};

export class ChatRouter<X extends object = object> implements ChatDispatcher {
  private readonly middleware: Middleware<X>[] = [];
  private readonly routes: { name: string; matcher: Matcher; handler: Handler<X> }[] = [];
  private fallbackHandler: Handler<X> | null = null;

  /**
   * Adds a global middleware (once per inbound message, before every route, whenever the route
   * was added) and returns the router typed with what it puts on the context (`Y`).
   */
  use<Y extends object = object>(mw: Middleware<X & Y>): ChatRouter<X & Y> {
    this.middleware.push(mw as unknown as Middleware<X>);
    return this as unknown as ChatRouter<X & Y>;
  }

  on(name: string, matcher: Matcher, handler: Handler<X>): this {
    if (this.routes.some((r) => r.name === name)) throw new Error(`chat route "${name}" registered twice`);
    this.routes.push({ name, matcher, handler });
    return this;
  }

  fallback(handler: Handler<X>): this {
    this.fallbackHandler = handler;
    return this;
  }

  /** The name of the route that handled the message, 'fallback', or null when nothing did. */
  async dispatch(m: InboundMessage, base: ChatContext): Promise<string | null> {
    // Each message gets its own context object: the middleware's additions never leak to the next.
    const ctx = { ...base } as ChatContext & Partial<X>;
    let route: string | null = null;
    const run = async (i: number): Promise<void> => {
      const mw = this.middleware[i];
      if (mw) return mw(m, ctx, () => run(i + 1));
      // Past every middleware: the context carries what they promised.
      route = await this.route(m, ctx as ChatContext & X);
    };
    await run(0);
    return route;
  }

  private async route(m: InboundMessage, ctx: ChatContext & X): Promise<string | null> {
    for (const r of this.routes) {
      if (r.matcher(m)) {
        await r.handler(m, ctx);
        return r.name;
      }
    }
    if (this.fallbackHandler) {
      await this.fallbackHandler(m, ctx);
      return 'fallback';
    }
    return null;
  }
}
