/**
 * Mounts the JSON API under /api from the route table: authentication (session cookie or
 * ADMIN_TOKEN), role checks, CSRF for cookie-authenticated changes, zod validation with
 * Chinese messages, uniform errors, downloads, and the OpenAPI document.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { AppContext } from '../../app/context';
import { scopeFor, type Principal } from '../auth/principal';
import type { SessionStore } from '../auth/sessions';
import { csrfMissing, resolvePrincipal } from '../auth/guard';
import type { UserStore } from '../auth/users';
import { LoginThrottle } from '../auth/throttle';
import { ApiError, type Download, type RouteDef } from './framework';
import { buildOpenApi } from './openapi';
import { mapDomainError } from './errors';
import { authRoutes } from './auth';
import { usersRoutes } from './users';
import { noticeRoutes, UPLOAD_TTL_MS, UploadRegistry } from './notices';
import { preparePrivateDir } from '../private-dir';
import { workOrderRoutes } from './workorders';
import { workOrderActionRoutes } from './workorder-actions';
import { contactReplyRoutes } from './contact-replies';
import { recheckRoutes } from './recheck';
import { monitoringRoutes } from './monitoring';
import { ruleRoutes } from './rules';
import { calendarRoutes } from './calendar';
import { contactRoutes } from './contacts';
import type { ContactsAdminStore, ContactsImporter } from '../../domain/contacts/admin-store';
import { templateRoutes, type TemplateCatalog } from './templates';
import { escalationRoutes } from './escalations';
import { settingsRoutes } from './settings';
import { dashboardRoutes } from './dashboard';
import { eventRoutes } from './events';
import { contactsImporter, templateCatalog } from './conversation-adapters';

export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

const zhCN = z.locales.zhCN().localeError;

const MULTER_MESSAGES: Record<string, string> = {
  LIMIT_FILE_SIZE: `文件过大：最大 ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`,
  LIMIT_FILE_COUNT: '一次只能上传一个文件',
  LIMIT_UNEXPECTED_FILE: '文件字段须名为 file，且一次只能上传一个文件',
  LIMIT_FIELD_COUNT: '表单字段过多',
  LIMIT_PART_COUNT: '表单内容过多',
  LIMIT_FIELD_KEY: '表单字段名过长',
  LIMIT_FIELD_VALUE: '表单字段值过长',
};

/** What the API needs beyond the context; the conversation module plugs in here. */
export interface ApiDeps {
  users: UserStore;
  sessions: SessionStore;
  /** Failed sign-ins per IP and per username, in the database (shared by instances). */
  throttle: LoginThrottle;
  contacts: ContactsAdminStore;
  /** Imports a contacts file; null until the conversation module provides it. */
  contactsImporter: ContactsImporter | null;
  /** Bot message templates; null until the conversation module provides them. */
  templates: TemplateCatalog | null;
  uploads: UploadRegistry;
}

export function createApiDeps(ctx: AppContext, overrides: Partial<ApiDeps> = {}): ApiDeps {
  return {
    users: ctx.users,
    sessions: ctx.sessions,
    throttle: new LoginThrottle(ctx.db, ctx.events),
    contacts: ctx.contactsAdmin,
    contactsImporter: contactsImporter(ctx.chat),
    templates: templateCatalog(ctx.chat),
    uploads: new UploadRegistry(path.join(ctx.config.dataDir, 'tmp', 'uploads'), ctx.clock),
    ...overrides,
  };
}

export function allRoutes(deps: ApiDeps): RouteDef[] {
  return [
    ...authRoutes(deps),
    ...usersRoutes(deps),
    ...noticeRoutes(deps),
    ...workOrderRoutes(),
    ...workOrderActionRoutes(),
    ...contactReplyRoutes(),
    ...recheckRoutes(),
    ...monitoringRoutes(),
    ...ruleRoutes(),
    ...calendarRoutes(),
    ...contactRoutes(deps),
    ...templateRoutes(deps),
    ...escalationRoutes(),
    ...settingsRoutes(),
    ...dashboardRoutes(),
    ...eventRoutes(),
  ];
}

export function formatZodError(error: z.ZodError, where: string): string {
  return error.issues
    .map((i) => {
      const p = i.path.length ? i.path.join('.') : where;
      return `${p}：${i.message}`;
    })
    .join('；');
}

function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return (value ?? {}) as T;
  const r = schema.safeParse(value ?? {}, { error: zhCN });
  if (!r.success) throw new ApiError(400, 'invalid_input', `输入有误：${formatZodError(r.error, where)}`);
  return r.data;
}

async function authenticate(ctx: AppContext, deps: ApiDeps, req: Request): Promise<Principal | null> {
  const p = await resolvePrincipal(ctx, deps.users, deps.sessions, req);
  if (p === 'bad_token') throw new ApiError(401, 'unauthorized', '令牌无效');
  return p;
}

export function createApiRouter(ctx: AppContext, deps: ApiDeps = createApiDeps(ctx)): Router {
  const router = express.Router();
  const routes = allRoutes(deps);
  const json = express.json({ limit: '2mb' });
  // Private (0700), and swept of what an earlier run left (uploads live an hour at most).
  preparePrivateDir(deps.uploads.dir, UPLOAD_TTL_MS);
  const upload = multer({
    dest: deps.uploads.dir,
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 20 },
    defParamCharset: 'utf8',
  }).single('file');

  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(buildOpenApi(routes));
  });

  for (const def of routes) {
    const handlers: ((req: Request, res: Response, next: NextFunction) => void)[] = [];
    // Who is calling, and may they, before any body (or upload) is read.
    handlers.push((req, res, next) => {
      void (async () => {
        const principal = await authenticate(ctx, deps, req);
        if (!principal && !def.public) throw new ApiError(401, 'unauthorized', '请先登录');
        if (principal && !def.public && !def.roles.includes(principal.role)) {
          throw new ApiError(403, 'forbidden', '没有权限执行此操作');
        }
        if (principal && !def.public && csrfMissing(principal, req)) {
          throw new ApiError(403, 'csrf', '请求缺少有效的 CSRF 令牌，请刷新页面后重试');
        }
        res.locals.principal = principal;
        next();
      })().catch(next);
    });
    if (def.upload) {
      const spec = typeof def.upload === 'object' ? def.upload : null;
      const receive = spec
        ? multer({ dest: deps.uploads.dir, limits: { fileSize: spec.maxBytes, files: spec.maxCount, fields: 20 }, defParamCharset: 'utf8' }).array(spec.field, spec.maxCount)
        : upload;
      const messages: Record<string, string> = spec
        ? {
            ...MULTER_MESSAGES,
            LIMIT_FILE_SIZE: `文件过大：每个最大 ${Math.round(spec.maxBytes / 1024 / 1024)} MB`,
            LIMIT_FILE_COUNT: `一次最多上传 ${spec.maxCount} 个文件`,
            LIMIT_UNEXPECTED_FILE: `文件字段须名为 ${spec.field}，一次最多 ${spec.maxCount} 个`,
          }
        : MULTER_MESSAGES;
      handlers.push((req, res, next) =>
        receive(req, res, (err: unknown) => {
          if (err instanceof multer.MulterError) {
            next(new ApiError(400, 'invalid_upload', messages[err.code] ?? '上传有误，请重新选择文件'));
            return;
          }
          next(err as Error | undefined);
        }),
      );
    } else if (def.method !== 'get') {
      handlers.push(json);
    }
    handlers.push((req, res, next) => {
      const principal = res.locals.principal as Principal | null;
      const file = req.file ? { path: req.file.path, originalName: req.file.originalname, size: req.file.size } : undefined;
      const files = Array.isArray(req.files) ? req.files.map((f) => ({ path: f.path, originalName: f.originalname, size: f.size })) : undefined;
      void (async () => {
        try {
          const params = parsePart(def.params, req.params, '路径参数');
          const query = parsePart(def.query, req.query, '查询参数');
          const body = parsePart(def.body, req.body, '请求体');
          const scope = principal ? await scopeFor(ctx.chat.contacts, principal) : { all: false as const, unitIds: [] };
          const out = await def.handler({
            params,
            query,
            body,
            principal: principal as Principal,
            scope,
            actor: principal?.actor ?? 'anonymous',
            ctx,
            req,
            res,
            file,
            files,
          });
          if (res.headersSent) return;
          if (out && typeof out === 'object' && 'download' in out) {
            const d = (out as Download).download;
            res.setHeader('Content-Type', d.contentType);
            res.setHeader(
              'Content-Disposition',
              `attachment; filename="${d.fileName.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, '')}"; filename*=UTF-8''${encodeURIComponent(d.fileName)}`,
            );
            res.send(d.body);
            return;
          }
          if (out === undefined) res.status(204).end();
          else res.status(200).json(out);
        } finally {
          // An upload route that did not keep its file leaves nothing behind.
          if (file && !deps.uploads.owns(file.path)) fs.rm(file.path, { force: true }, () => undefined);
          for (const f of files ?? []) fs.rm(f.path, { force: true }, () => undefined);
        }
      })().catch(next);
    });
    (router as any)[def.method](def.path, ...handlers);
  }

  router.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: '未找到该接口' });
  });
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = mapDomainError(err);
    if (e) {
      res.status(e.status).json({ error: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) });
      return;
    }
    const status = (err as { status?: number; type?: string }).status;
    if (status === 413) {
      res.status(413).json({ error: 'too_large', message: '请求体过大' });
      return;
    }
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ error: 'bad_request', message: '请求无效（请检查 JSON 格式）' });
      return;
    }
    ctx.logger.error({ err, path: req.path }, 'api error');
    res.status(500).json({ error: 'internal', message: '服务器内部错误' });
  });
  return router;
}
