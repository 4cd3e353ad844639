/** The HTTP service: security headers, health, limits on slow clients, and the routes of each feature area. */
import http, { type Server } from 'node:http';
import net from 'node:net';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { AppContext } from '../app/context';
import type { Config } from '../config';
import { withTimeout } from '../timeout';

export interface HttpState {
  /** False until start-up (migrations, calendar) is complete, and again while shutting down. */
  ready: boolean;
}

/**
 * The security headers of every route (helmet): a strict Content-Security-Policy (the console
 * and the simulator page load only their own scripts, styles and images), no framing, no MIME
 * sniffing, same-origin referrers, HSTS (honoured by browsers over HTTPS only).
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
      },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: { maxAge: 180 * 24 * 60 * 60, includeSubDomains: false },
  }) as RequestHandler;
}

/**
 * Refuses a request whose Host is a domain name this service does not go by (DNS rebinding:
 * a page on a domain the attacker points at 127.0.0.1 would otherwise reach a local service
 * with the browser's help). Allowed: IP addresses (a rebinding attack always carries its own
 * domain name), localhost, HOST when it is a name, and PUBLIC_URL's host name.
 */
export function knownHostsOnly(config: Pick<Config, 'host' | 'publicUrl'>): RequestHandler {
  const names = new Set<string>();
  if (!net.isIP(config.host)) names.add(config.host.toLowerCase());
  if (config.publicUrl) names.add(new URL(config.publicUrl).hostname.toLowerCase());
  return (req, res, next) => {
    let hostname = '';
    try {
      hostname = new URL(`http://${req.headers.host ?? ''}`).hostname.toLowerCase();
    } catch {
      hostname = '';
    }
    const bare = hostname.replace(/^\[(.*)\]$/, '$1');
    const ok =
      bare !== '' &&
      (net.isIP(bare) !== 0 || bare === 'localhost' || bare.endsWith('.localhost') || names.has(bare));
    if (ok) return next();
    res.status(403).json({
      error: 'host_not_allowed',
      message: '不能通过该主机名访问（防 DNS 重绑定）：请用 IP 地址、localhost 或 PUBLIC_URL 中的地址访问',
    });
  };
}

/**
 * The headers securityHeaders() sets, computed once: its policy is the same for every request, so
 * a route that answers at high rate (the WeCom callback) sets the same headers without running
 * helmet's middleware each time.
 */
export function staticSecurityHeaders(): RequestHandler {
  const headers: [string, string | number | readonly string[]][] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push([name, value]);
      return recorder;
    },
    removeHeader() {},
    getHeader() {
      return undefined;
    },
  };
  let ran = false;
  (securityHeaders() as unknown as (req: unknown, res: unknown, next: (err?: unknown) => void) => void)({ headers: {}, method: 'GET', url: '/' }, recorder, (err) => {
    if (err) throw err instanceof Error ? err : new Error('helmet refused the header set');
    ran = true;
  });
  if (!ran || headers.length === 0) throw new Error('security headers could not be computed');
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/**
 * The app with health and security headers. `first` mounts routes ahead of the common
 * middleware (the WeCom callback, which sets the same security headers itself).
 */
export function createHttpApp(ctx: AppContext, state: HttpState, first?: (app: Express) => void): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  first?.(app);
  app.use(securityHeaders());

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

/**
 * An HTTP server for the app with the configured limits: a client must send its headers within
 * headersTimeout and its whole request within requestTimeout (a trickle is cut off with 408),
 * an idle keep-alive connection closes after keepAliveTimeout, and connections beyond
 * maxConnections are refused. Node checks the two request deadlines every
 * connectionsCheckingInterval, so that interval follows the shorter deadline.
 */
export function createHttpServer(app: Express, limits: Config['http']): Server {
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  return server;
}

/** Listens on host:port; resolves once listening, rejects if the address cannot be taken. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
