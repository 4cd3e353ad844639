/**
 * `npm start`: reads the configuration, applies pending migrations, serves HTTP, and shuts down
 * gracefully on SIGTERM/SIGINT.
 */
import dotenv from 'dotenv';
import type { Server } from 'node:http';
import { ConfigError, loadConfig } from './config';
import { createContext } from './app/context';
import { createHttpApp, finishHttpApp, type HttpState } from './http/server';
import { createLogger } from './logger';

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n服务未启动 (service not started).\n`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  const state: HttpState = { ready: false };
  const ctx = await createContext(config, { logger });
  const app = createHttpApp(ctx, state);
  finishHttpApp(app, ctx);

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  await ctx.calendar.reload();
  state.ready = true;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    { host: config.host, port, database: config.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@') },
    `rectify-bot 已启动：http://${config.host}:${port}/healthz`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    state.ready = false;
    logger.info({ signal }, '正在停止服务 (shutting down)');
    const force = setTimeout(() => {
      logger.error('停止超时，强制退出 (forced exit after timeout)');
      process.exit(1);
    }, 10_000);
    force.unref();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections?.();
    await ctx.close();
    logger.info('服务已停止 (stopped)');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`启动失败 (start-up failed)：${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
