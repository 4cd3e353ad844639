/** The session cookie: HttpOnly, SameSite=Strict, Secure behind HTTPS or in production. */
import type { Request } from 'express';
import { serialize as serializeCookie } from 'cookie';
import type { AppContext } from '../../app/context';

export const SESSION_COOKIE = 'rb_session';

export function secureCookies(ctx: AppContext, req: Request): boolean {
  return req.secure || ctx.config.env === 'production';
}

/** A Set-Cookie value that sets the session, or clears it (null). No Expires: the server decides. */
export function sessionCookie(ctx: AppContext, req: Request, value: string | null): string {
  return serializeCookie(SESSION_COOKIE, value ?? '', {
    httpOnly: true,
    sameSite: 'strict',
    secure: secureCookies(ctx, req),
    path: '/',
    ...(value === null ? { maxAge: 0 } : {}),
  });
}
