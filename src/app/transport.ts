/**
 * Wires the WeCom transport: the chat handlers on the context's router, the loops that run the
 * context's outbox sender and inbound processor, the callback route, and (without credentials)
 * the embedded simulator. The client, sender and processor are built by the composition root
 * (src/app/context.ts).
 */
import type { Express } from 'express';
import type { AppContext, WecomParts } from './context';
import type { ChatRouter } from '../chat/router';
import { registerChatHandlers } from '../../handlers';
import { MonitoringChat } from '../domain/monitoring/chat';
import { BackgroundLoop } from '../jobs/loop';
import { FakeWecom } from '../simulator/fake-wecom';
import { createSimulatorPage, MAX_STORED_IMAGE_BYTES, MAX_STORED_IMAGES } from '../simulator/page';
import { requireSession, resolvePrincipal } from '../http/auth/guard';
import { createSimulatorAuthorize } from '../simulator/authorize';
import { SessionStore } from '../http/auth/sessions';
import { UserStore } from '../http/auth/users';
import { knownHostsOnly, staticSecurityHeaders } from '../http/server';
import { SimulatorStore, type SentByUser } from '../simulator/store';
import { createCallbackRouter } from '../wecom/callback/route';
export { SIMULATOR_AGENT_ID, SIMULATOR_CORP_ID, simulatorCredentials } from '../wecom/credentials';

/** The WeCom parts the composition root built, and what the transport adds to run them. */
export interface WecomTransport extends Omit<WecomParts, 'batch'> {
  fake: FakeWecom | null;
  outboxLoop: BackgroundLoop;
  inboundLoop: BackgroundLoop;
  /** Mounts /wecom/callback on the app ahead of its common middleware (it sets the security headers itself). */
  mountCallback(app: Express): void;
  /** Mounts /simulator (when simulated) on the app, before its 404 handler. */
  mount(app: Express): void;
  /** Called once the server listens: the simulator's URLs depend on the port. */
  attach(baseUrl: string): void;
  /** The simulator's chat history from earlier runs (nothing to do with real WeCom). */
  restore(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export interface TransportOptions {
  pollIntervalMs?: number;
  /** Registers the chat handlers (default: the product's, handlers/; tests may use their own). */
  registerHandlers?: (chat: ChatRouter, ctx: AppContext) => void;
}

/** The product's conversation (handlers/) on the router. */
export function productHandlers(chat: ChatRouter, ctx: AppContext): void {
  registerChatHandlers(chat, {
    support: ctx.chat.support,
    replies: ctx.chat.replies,
    review: ctx.chat.review,
    queries: ctx.chat.queries,
    understood: ctx.chat.understood,
    recheck: ctx.config.recheck.enabled ? ctx.recheck.service : null,
    monitoring: new MonitoringChat(ctx.monitoring),
  });
}

export function createWecomTransport(ctx: AppContext, options: TransportOptions = {}): WecomTransport {
  const { simulated, credentials, client, tokens, chat, sender, processor, batch } = ctx.wecom;
  (options.registerHandlers ?? productHandlers)(chat, ctx);
  const instanceId = ctx.config.instanceId;
  const interval = options.pollIntervalMs ?? 500;
  // A full batch means more may be waiting: run again at once rather than after the interval
  // (a backlog of 10,000 would otherwise wait 100 × the interval doing nothing).
  const outboxLoop = new BackgroundLoop(
    'outbox',
    async () => {
      if ((await sender.runOnce()).length >= batch) outboxLoop.kick();
    },
    interval,
    ctx.logger,
  );
  const inboundLoop = new BackgroundLoop(
    'inbound',
    async () => {
      if ((await processor.runOnce()) >= batch) inboundLoop.kick();
    },
    interval,
    ctx.logger,
  );
  ctx.outbox.onEnqueue = () => outboxLoop.kick();
  ctx.inbound.onRecord = () => inboundLoop.kick();

  let fake: FakeWecom | null = null;
  let baseUrl = '';
  const simulatorStore = simulated ? new SimulatorStore(ctx.db) : null;
  const sentByUsers: SentByUser[] = [];
  if (simulated) {
    fake = new FakeWecom({
      journal: simulatorStore ?? undefined,
      corpId: credentials.corpId,
      secret: credentials.secret,
      agentId: credentials.agentId,
      clock: ctx.clock,
      knownUser: async (userid) => Boolean(await ctx.db('contacts').where({ wecom_userid: userid, active: true }).first('id')),
    });
  }

  return {
    simulated,
    credentials,
    client,
    tokens,
    chat,
    sender,
    processor,
    fake,
    outboxLoop,
    inboundLoop,
    mountCallback(app) {
      app.use(
        createCallbackRouter({
          credentials,
          maxAgeS: ctx.config.wecom.callbackMaxAgeS,
          clock: ctx.clock,
          logger: ctx.logger,
          inbound: ctx.inbound,
          headers: staticSecurityHeaders(),
        }),
      );
    },
    mount(app) {
      if (fake) {
        // Only names this service goes by (DNS rebinding); the fake API has no /_control here.
        app.use('/simulator', knownHostsOnly(ctx.config));
        app.use('/simulator/api', fake.router());
        const users = new UserStore(ctx.db, ctx.events);
        const sessions = new SessionStore(ctx.db);
        const forbidden = '企业微信模拟器可以冒充任何用户操作，仅限控制台管理员使用';
        // Its sign-in pages (网页授权, QR): signing in as any member is an admin's power too.
        app.use(
          createSimulatorAuthorize({
            fake,
            credentials,
            db: ctx.db,
            serviceBases: () => [baseUrl, ctx.links.consoleBase ?? ''].filter(Boolean),
            pageGuard: requireSession(ctx, users, sessions, { roles: ['admin'], kind: 'page', forbidden }),
            admin: async (req, res) => {
              const p = await resolvePrincipal(ctx, users, sessions, req);
              if (p && p !== 'bad_token' && p.role === 'admin') return { csrfToken: p.kind === 'user' ? p.csrfToken : null };
              res.status(403).type('text/plain').send(forbidden);
              return null;
            },
          }),
        );
        app.use(
          createSimulatorPage({
            guard: {
              page: requireSession(ctx, users, sessions, { roles: ['admin'], kind: 'page', forbidden }),
              api: requireSession(ctx, users, sessions, { roles: ['admin'], kind: 'api', forbidden }),
            },
            fake,
            credentials,
            db: ctx.db,
            clock: ctx.clock,
            logger: ctx.logger,
            callbackUrl: () => `${baseUrl}/wecom/callback`,
            publicBase: () => baseUrl,
            store: simulatorStore ?? undefined,
            sent: sentByUsers,
          }),
        );
      }
    },
    async restore() {
      // What this instance's previous run left leased is taken back now, not when the lease ends.
      if (instanceId) {
        const outbox = await ctx.outbox.expireLeasesOf(sender.workerId);
        const inbound = await ctx.inbound.expireLeasesOf(processor.workerId);
        if (outbox || inbound) ctx.logger.info({ instance: instanceId, outbox, inbound }, '已收回本实例上次运行留下的租约');
      }
      if (!fake || !simulatorStore) return;
      const { received, sent, media } = await simulatorStore.load();
      fake.restore(received, media);
      const dropped = fake.trimMedia(MAX_STORED_IMAGES, MAX_STORED_IMAGE_BYTES);
      if (dropped.length) await simulatorStore.mediaRemoved(dropped);
      sentByUsers.push(...sent);
    },
    attach(url) {
      baseUrl = url.replace(/\/+$/, '');
      if (simulated && !ctx.config.wecom.apiBase) client.setBaseUrl(`${baseUrl}/simulator/api`);
    },
    start() {
      outboxLoop.start();
      inboundLoop.start();
    },
    async stop() {
      ctx.outbox.onEnqueue = null;
      ctx.inbound.onRecord = null;
      await inboundLoop.stop();
      await outboxLoop.stop();
      fake?.close();
    },
  };
}
