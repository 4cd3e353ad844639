/**
 * Wires the WeCom transport: client + token provider, outbox sender, inbound processor, the
 * callback route, and (without credentials) the embedded simulator.
 */
import crypto from 'node:crypto';
import type { Express } from 'express';
import type { AppContext } from '../app/context';
import type { WecomCredentials } from '../config';
import { ChatRouter } from '../chat/router';
import { registerChatHandlers } from '../../handlers';
import { MonitoringChat } from '../domain/monitoring/chat';
import { InboundProcessor } from './inbound-processor';
import { KnexContactDirectory } from '../domain/outbox/contacts';
import { OutboxSender } from './outbox-sender';
import { BackgroundLoop } from '../jobs/loop';
import { FakeWecom } from '../simulator/fake-wecom';
import { createSimulatorPage, MAX_STORED_IMAGE_BYTES, MAX_STORED_IMAGES } from '../simulator/page';
import { requireSession } from '../http/auth/guard';
import { SessionStore } from '../http/auth/sessions';
import { UserStore } from '../http/auth/users';
import { knownHostsOnly } from '../http/server';
import { SimulatorStore, type SentByUser } from '../simulator/store';
import { createCallbackRouter } from './callback/route';
import { WecomClient } from './client';
import { MediaStore } from './media';
import { TokenProvider } from './token';

export const SIMULATOR_CORP_ID = 'wwsimulator';
export const SIMULATOR_AGENT_ID = 1000002;

/** Rows the outbox sender and the inbound processor handle per run of their loop. */
const LOOP_BATCH = 100;

/** Fresh simulator credentials per start: nothing real, nothing to leak. */
export function simulatorCredentials(): WecomCredentials {
  return {
    corpId: SIMULATOR_CORP_ID,
    agentId: SIMULATOR_AGENT_ID,
    secret: crypto.randomBytes(16).toString('hex'),
    token: crypto.randomBytes(12).toString('hex'),
    // 32 random bytes in base64 are 43 characters and one '='.
    encodingAesKey: crypto.randomBytes(32).toString('base64').slice(0, 43),
  };
}

export interface WecomTransport {
  simulated: boolean;
  credentials: WecomCredentials;
  client: WecomClient;
  tokens: TokenProvider;
  chat: ChatRouter;
  sender: OutboxSender;
  processor: InboundProcessor;
  fake: FakeWecom | null;
  outboxLoop: BackgroundLoop;
  inboundLoop: BackgroundLoop;
  /** Mounts /wecom/callback (and /simulator) on the app, before its 404 handler. */
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
  clientTimeoutMs?: number;
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
  const simulated = ctx.config.wecom.credentials === null;
  const credentials = ctx.config.wecom.credentials ?? simulatorCredentials();
  const apiBase = ctx.config.wecom.apiBase ?? 'http://127.0.0.1/simulator/api';
  const client = new WecomClient({
    baseUrl: apiBase,
    corpId: credentials.corpId,
    secret: credentials.secret,
    agentId: credentials.agentId,
    timeoutMs: options.clientTimeoutMs,
  });
  const tokens = new TokenProvider(client, ctx.clock);
  client.useTokens(tokens);
  const contacts = new KnexContactDirectory(ctx.db);
  const chat = new ChatRouter();
  (options.registerHandlers ?? productHandlers)(chat, ctx);
  // A stable INSTANCE_ID names the workers the same way after a restart (see restore()).
  const instanceId = ctx.config.instanceId;
  const sender = new OutboxSender(ctx.outbox, client, ctx.events, contacts, ctx.clock, ctx.logger, {
    batch: LOOP_BATCH,
    mediaDir: ctx.config.mediaDir,
    workerId: instanceId ? `outbox-${instanceId}` : undefined,
    listeners: [
      {
        // A reminder or ladder step held (quiet hours, pacing) past the unit's answer is not sent.
        obsolete: (row) => ctx.followup.obsolete(row),
        // A work order is notified when WeCom accepts its card (the deadline counts from then).
        onSent: (row) => ctx.chat.notifications.onDelivered(row),
        onFailed: (row, errcode) => ctx.chat.notifications.onFailed(row, errcode),
      },
    ],
  });
  const media = new MediaStore(ctx.db, client, ctx.config.mediaDir);
  const processor = new InboundProcessor(ctx.inbound, chat, ctx.outbox, contacts, media, ctx.events, ctx.clock, ctx.logger, {
    batch: LOOP_BATCH,
    workerId: instanceId ? `inbound-${instanceId}` : undefined,
  });
  const interval = options.pollIntervalMs ?? 500;
  // A full batch means more may be waiting: run again at once rather than after the interval
  // (a backlog of 10,000 would otherwise wait 100 × the interval doing nothing).
  const outboxLoop = new BackgroundLoop(
    'outbox',
    async () => {
      if ((await sender.runOnce()).length >= LOOP_BATCH) outboxLoop.kick();
    },
    interval,
    ctx.logger,
  );
  const inboundLoop = new BackgroundLoop(
    'inbound',
    async () => {
      if ((await processor.runOnce()) >= LOOP_BATCH) inboundLoop.kick();
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
    mount(app) {
      app.use(
        createCallbackRouter({
          credentials,
          maxAgeS: ctx.config.wecom.callbackMaxAgeS,
          clock: ctx.clock,
          logger: ctx.logger,
          inbound: ctx.inbound,
        }),
      );
      if (fake) {
        // Only names this service goes by (DNS rebinding); the fake API has no /_control here.
        app.use('/simulator', knownHostsOnly(ctx.config));
        app.use('/simulator/api', fake.router());
        const users = new UserStore(ctx.db, ctx.events);
        const sessions = new SessionStore(ctx.db);
        const forbidden = '企业微信模拟器可以冒充任何用户操作，仅限控制台管理员使用';
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
