/**
 * The running service: context, HTTP, the WeCom transport (or the embedded simulator) and its
 * background loops. main.ts calls startService(); tests call it too (PORT=0).
 */
import type { Server } from 'node:http';
import { ConfigError, servingProblem, type Config } from './config';
import { createContext, type AppContext, type ContextOptions } from './app/context';
import { createHttpApp, createHttpServer, finishHttpApp, listen, type HttpState } from './http/server';
import { ensureDevelopmentAdmin, mountAdmin } from './http/admin';
import type { ApiDeps } from './http/api';
import { createWecomTransport, type TransportOptions, type WecomTransport } from './app/transport';
import { buildJobs } from './jobs';
import { JobRunner } from './jobs/runner';
import { Scheduler } from './jobs/scheduler';
import { BackgroundLoop } from './jobs/loop';

export interface RunningService {
  ctx: AppContext;
  server: Server;
  port: number;
  baseUrl: string;
  wecom: WecomTransport;
  state: HttpState;
  /** The admin account made at this start (development on loopback, no users yet): show it once. */
  firstAdmin: { username: string; password: string } | null;
  /** Stops accepting requests, stops the loops, closes the database. */
  stop(): Promise<void>;
}

export interface ServiceOptions extends ContextOptions, TransportOptions {
  /** Services the admin API uses beyond the context (contacts import, message templates). */
  admin?: Partial<ApiDeps>;
}

export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  // No WeCom credentials: the simulator, which only runs where it is safe (see servingProblem).
  const problem = servingProblem(config);
  if (problem) throw new ConfigError([problem]);
  const state: HttpState = { ready: false };
  const ctx = await createContext(config, options);
  const wecom = createWecomTransport(ctx, options);
  const app = createHttpApp(ctx, state, (a) => wecom.mountCallback(a));
  wecom.mount(app);
  mountAdmin(app, ctx, options.admin);
  finishHttpApp(app, ctx);

  const server: Server = createHttpServer(app, config.http);
  try {
    await listen(server, config.port, config.host);
  } catch (e) {
    await ctx.close();
    throw e;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  wecom.attach(baseUrl);
  // In the simulator the console is on this very service, reachable from the same browser.
  if (wecom.simulated && !ctx.links.consoleBase) ctx.links.consoleBase = baseUrl;
  await wecom.restore();
  await ctx.calendar.reload();
  const firstAdmin = await ensureDevelopmentAdmin(ctx);
  wecom.start();
  // New work orders are notified right after start and after an import by this process (the
  // notify_new_orders job does it on its schedule too; both are idempotent).
  const notifyLoop = new BackgroundLoop('notify', () => ctx.chat.notifications.notifyPending(), 5 * 60_000, ctx.logger);
  const kickNotify = () => notifyLoop.kick();
  ctx.imports.onImported.push(kickNotify);
  ctx.monitoring.onCreated.push(kickNotify);
  notifyLoop.start();
  const scheduler = config.jobs.enabled
    ? new Scheduler(new JobRunner(ctx, buildJobs(ctx), config.instanceId), ctx.clock, config.businessTz, ctx.logger)
    : null;
  scheduler?.start();
  state.ready = true;

  let stopped: Promise<void> | null = null;
  return {
    ctx,
    server,
    port,
    baseUrl,
    wecom,
    state,
    firstAdmin,
    stop() {
      stopped ??= (async () => {
        state.ready = false;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections?.();
        await scheduler?.stop();
        ctx.imports.onImported.splice(ctx.imports.onImported.indexOf(kickNotify), 1);
        ctx.monitoring.onCreated.splice(ctx.monitoring.onCreated.indexOf(kickNotify), 1);
        await notifyLoop.stop();
        await wecom.stop();
        server.closeAllConnections?.();
        await closed;
        await ctx.close();
      })();
      return stopped;
    },
  };
}
