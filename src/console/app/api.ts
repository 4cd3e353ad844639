// The API client (JSON, or FormData for uploads; the CSRF header on every change) and the
// signed-in user, shared by every page.
import type { Me } from './types';

export const session: { me: Me | null; csrf: string | null; scope: unknown } = { me: null, csrf: null, scope: null };

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: { message?: string; error?: string | { code?: string; message?: string } } | null,
  ) {
    super(body?.message || (typeof body?.error === 'object' ? body.error.message : undefined) || `请求失败（${status}）`);
  }
}

/** Called when the server says the session is gone (401): the shell shows the sign-in page. */
let onSignedOut: () => void = () => undefined;
export function setSignedOutHandler(fn: () => void): void {
  onSignedOut = fn;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, opts: { allow401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  const res = await fetch(`/api${path}`, { method, headers, body: payload, credentials: 'same-origin' });
  const data: unknown = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401 && !opts.allow401) {
    session.me = null;
    onSignedOut();
    throw new ApiFailure(401, data as ApiFailure['body']);
  }
  if (!res.ok) throw new ApiFailure(res.status, data as ApiFailure['body']);
  return data as T;
}

/** ?a=1&b=2 from the non-empty values. */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const isAdmin = (): boolean => session.me?.role === 'admin';
export const canReview = (): boolean => session.me?.role === 'admin' || session.me?.role === 'supervisor';
export const isContact = (): boolean => session.me?.role === 'contact';
