/** An HTTP server with the admin API on a test database, and a small client with a cookie. */
import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { createHttpApp, finishHttpApp } from '../../src/http/server';
import { mountAdmin } from '../../src/http/admin';
import type { ApiDeps } from '../../src/http/api';
import { UserStore, type Role } from '../../src/http/auth/users';
import type { TestDb } from '../support/db';
import { testConfig } from '../support/config';

export const TOKEN = 'test-admin-token-0123456789';

export interface AdminServer {
  ctx: AppContext;
  clock: ManualClock;
  base: string;
  users: UserStore;
  close(): Promise<void>;
}

export async function startAdminServer(t: TestDb, overrides: Partial<ApiDeps> = {}, env: Record<string, string> = {}): Promise<AdminServer> {
  const clock = new ManualClock('2026-11-23T02:00:00Z');
  const ctx = await createContext(testConfig({ ADMIN_TOKEN: TOKEN, ...env }), { db: t.db, migrate: false, clock });
  const app = createHttpApp(ctx, { ready: true });
  mountAdmin(app, ctx, overrides);
  finishHttpApp(app, ctx);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  return {
    ctx,
    clock,
    base: `http://127.0.0.1:${port}`,
    users: new UserStore(ctx.db, ctx.events),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export interface Res {
  status: number;
  body: any;
  headers: Headers;
  raw: Buffer;
}

/** A browser-like client: keeps the session cookie and sends the CSRF token it was given. */
export class Client {
  cookie: string | null = null;
  csrf: string | null = null;
  constructor(
    readonly base: string,
    readonly bearer: string | null = null,
  ) {}

  async req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (this.bearer) h.authorization = `Bearer ${this.bearer}`;
    if (this.csrf && method !== 'GET' && !('x-csrf-token' in h)) h['x-csrf-token'] = this.csrf;
    let payload: FormData | string | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      h['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.base}/api${path}`, { method, headers: h, body: payload, redirect: 'manual' });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const v = /rb_session=([^;]*)/.exec(setCookie)?.[1] ?? '';
      this.cookie = v ? `rb_session=${v}` : null;
    }
    const raw = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && raw.length ? JSON.parse(raw.toString('utf8')) : raw.toString('utf8');
    return { status: res.status, body: parsed, headers: res.headers, raw };
  }

  get = (path: string) => this.req('GET', path);
  post = (path: string, body?: unknown) => this.req('POST', path, body ?? {});
  put = (path: string, body?: unknown) => this.req('PUT', path, body ?? {});
  patch = (path: string, body?: unknown) => this.req('PATCH', path, body ?? {});
  del = (path: string) => this.req('DELETE', path);

  async login(username: string, password: string): Promise<Res> {
    const r = await this.req('POST', '/auth/login', { username, password });
    if (r.status === 200) this.csrf = r.body.csrf_token;
    return r;
  }
}

export async function signedIn(s: AdminServer, username: string, role: Role, extra: { contactId?: number } = {}): Promise<Client> {
  const password = `${username}-password`;
  await s.users.create({ username, role, password, contactId: extra.contactId ?? null }, 'test', s.clock.now());
  const c = new Client(s.base);
  const r = await c.login(username, password);
  if (r.status !== 200) throw new Error(`login failed: ${JSON.stringify(r.body)}`);
  return c;
}

export function fileForm(file: string | { name: string; content: string | Buffer }, fields: Record<string, string> = {}): FormData {
  const fd = new FormData();
  const content = typeof file === 'string' ? fs.readFileSync(file) : Buffer.from(file.content);
  const name = typeof file === 'string' ? path.basename(file) : file.name;
  fd.append('file', new Blob([content]), name);
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  return fd;
}
