/**
 * `npm start`: reads the configuration, applies pending migrations, serves HTTP with the WeCom
 * transport (or the embedded simulator when no WeCom credentials are set), and shuts down
 * gracefully on SIGTERM/SIGINT (background loops first, then the database).
 */
import dotenv from 'dotenv';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { startService } from './service';

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
  const service = await startService(config, { logger });
  const { port, baseUrl } = service;
  logger.info(
    { host: config.host, port, database: config.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@') },
    `rectify-bot 已启动：${baseUrl}/healthz`,
  );
  if (service.wecom.simulated) {
    logger.info(
      { simulator: `${baseUrl}/simulator` },
      `未配置企业微信凭据，已启用内置企业微信模拟器：请在浏览器打开 ${baseUrl}/simulator`,
    );
  } else {
    logger.info({ apiBase: service.wecom.client.baseUrl }, `企业微信回调地址：${baseUrl}/wecom/callback`);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, '正在停止服务 (shutting down)');
    const force = setTimeout(() => {
      logger.error('停止超时，强制退出 (forced exit after timeout)');
      process.exit(1);
    }, 10_000);
    force.unref();
    await service.stop();
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
