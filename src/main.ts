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
  let service;
  try {
    service = await startService(config, { logger });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n服务未启动 (service not started).\n`);
      process.exit(1);
    }
    throw e;
  }
  const { port, baseUrl } = service;
  logger.info(
    { host: config.host, port, database: config.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@') },
    `rectify-bot 已启动：${baseUrl}/healthz`,
  );
  if (service.firstAdmin) {
    // A plain line for the person at the terminal; the JSON log (shipped to log stores) never has it.
    process.stderr.write(
      `\n  控制台管理员账号：${service.firstAdmin.username}  密码：${service.firstAdmin.password}\n` +
        `  （仅显示这一次；登录 ${baseUrl}/admin/ 后可修改，或用 npm run -s cli -- users reset admin 重置）\n\n`,
    );
  }
  if (service.wecom.simulated) {
    logger.info(
      { simulator: `${baseUrl}/simulator` },
      `未配置企业微信凭据，已启用内置企业微信模拟器：请在浏览器打开 ${baseUrl}/simulator（需以控制台管理员登录）`,
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
