/**
 * The API's route table. Every route is declared once with its method, path, roles and zod
 * schemas; the same table mounts the express handlers (validation with Chinese messages,
 * role checks, CSRF) and produces the OpenAPI document, so the document lists every route.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../app/context';
import type { Principal, UnitScope } from '../auth/principal';
import type { Role } from '../auth/users';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Download {
  download: { fileName: string; contentType: string; body: Buffer | string };
}

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  scope: UnitScope;
  actor: string;
  ctx: AppContext;
  req: Request;
  res: Response;
  /** The uploaded file (multipart field "file") for upload routes. */
  file?: { path: string; originalName: string; size: number };
  /** The uploaded files of a route whose `upload` names a field and a count (e.g. photos). */
  files?: { path: string; originalName: string; size: number }[];
}

/** Several files in one multipart field, each at most maxBytes (removed after the handler). */
export interface MultiUpload {
  field: string;
  maxCount: number;
  maxBytes: number;
}

export interface RouteDef<P = any, Q = any, B = any> {
  method: Method;
  /** Express-style path under /api, e.g. /notices/:id */
  path: string;
  tag: string;
  summary: string;
  /** Roles allowed; ADMIN_TOKEN acts as admin. */
  roles: readonly Role[];
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** multipart/form-data with a "file" field, or with up to maxCount files in `field` (other fields are the body). */
  upload?: boolean | MultiUpload;
  /** Response kinds for the document (default JSON). */
  produces?: ('json' | 'csv' | 'xlsx' | 'image' | 'text')[];
  /** Not signed in is fine (sign-in itself, the OpenAPI document). */
  public?: boolean;
  handler(input: HandlerInput<P, Q, B>): Promise<unknown>;
}

export function route<P, Q, B>(def: RouteDef<P, Q, B>): RouteDef<P, Q, B> {
  return def;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what}不存在`);
export const forbidden = (message = '没有权限执行此操作') => new ApiError(403, 'forbidden', message);

export const ALL_ROLES = ['admin', 'supervisor', 'viewer'] as const;
export const ADMIN = ['admin'] as const;
/**
 * Who may read work orders (list, detail, evidence): every console role and a unit contact
 * signed in from WeCom (its own units' orders only, by its scope).
 */
export const ORDER_READERS = [...ALL_ROLES, 'contact'] as const;

// Common schemas ----------------------------------------------------------------------------

export const idParam = z.object({ id: z.coerce.number().int().positive() });

export const pageQuery = {
  page: z.coerce.number().int().min(1).default(1).describe('页码，从 1 开始'),
  page_size: z.coerce.number().int().min(1).max(500).default(50).describe('每页条数（1–500）'),
};

export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '须为 YYYY-MM-DD 格式的日期');

/** "true"/"false"/"1"/"0" in a query string. */
export const queryBool = z
  .enum(['true', 'false', '1', '0'], { message: '须为 true 或 false' })
  .transform((v) => v === 'true' || v === '1');

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

export async function paginate<T>(
  base: () => any,
  page: number,
  pageSize: number,
  map: (row: any) => T | Promise<T>,
  order: (q: any) => any,
): Promise<Page<T>> {
  const [countRow] = await base().clearSelect().clearOrder().count({ n: '*' });
  const total = Number((countRow as { n: number | string }).n);
  const rows = await order(base()).limit(pageSize).offset((page - 1) * pageSize);
  return { items: await Promise.all(rows.map(map)), total, page, page_size: pageSize };
}
