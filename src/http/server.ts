/** The HTTP service: health, and the routes of each feature area. */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../app/context';
import { withTimeout } from '../timeout';

export interface HttpState {
  /** False until start-up (migrations, calendar) is complete, and again while shutting down. */
  ready: boolean;
}

export function createHttpApp(ctx: AppContext, state: HttpState): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.get('/healthz', async (_req, res) => {
    if (!state.ready) {
      res.status(503).json({ status: 'starting', message: '服务启动中' });
      return;
    }
    try {
      await withTimeout(ctx.db.raw('select 1'), 2000, 'the health query');
      res.status(200).json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unhealthy', message: '数据库不可用' });
    }
  });

  return app;
}

/** The last handlers: unknown routes and unexpected errors, in Chinese, without internals. */
export function finishHttpApp(app: Express, ctx: AppContext): void {
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: '未找到该地址' });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ error: 'bad_request', message: '请求无效' });
      return;
    }
    ctx.logger.error({ err, path: req.path }, '处理请求时出现未预期的错误');
    res.status(500).json({ error: 'internal', message: '服务器内部错误' });
  });
}
