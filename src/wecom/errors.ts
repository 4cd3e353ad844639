/**
 * Typed WeCom errors and the one table that says which failures are retried and which are final.
 */

/** WeCom answered (HTTP 200) with errcode ≠ 0. */
export class WecomApiError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly endpoint: string,
  ) {
    super(`WeCom ${endpoint} errcode ${errcode}: ${errmsg}`);
    this.name = 'WecomApiError';
  }
}

/** The HTTP exchange failed: a non-2xx status, or no response at all (reset, refused). */
export class WecomHttpError extends Error {
  constructor(
    /** HTTP status, or null when the connection failed before a response. */
    readonly status: number | null,
    /** Node/axios error code when there was no response (ECONNRESET, ECONNREFUSED, …). */
    readonly code: string | null,
    readonly endpoint: string,
  ) {
    super(`WeCom ${endpoint} HTTP failure: ${status ?? code ?? 'unknown'}`);
    this.name = 'WecomHttpError';
  }
}

/** No answer within the client's timeout. The request may or may not have been processed. */
export class WecomTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    readonly endpoint: string,
  ) {
    super(`WeCom ${endpoint} timed out after ${timeoutMs} ms`);
    this.name = 'WecomTimeoutError';
  }
}

export type WecomError = WecomApiError | WecomHttpError | WecomTimeoutError;

/**
 * - retry: transient; back off and try again (bounded).
 * - token: the access token is invalid or expired; refresh once and retry at once.
 * - config: a configuration error (bad secret, untrusted IP): never retried, reported loudly.
 * - recipient: the recipient does not exist / all recipients invalid: never retried; flag the contact.
 * - final: any other error: never retried.
 */
export type FailureKind = 'retry' | 'token' | 'config' | 'recipient' | 'final';

export interface Classification {
  kind: FailureKind;
  /** The outcome of the failed call is unknown (it may have been delivered): resend with duplicate check. */
  ambiguous: boolean;
}

/** The WeCom errcodes this service acts on, by name (the only place their numbers are written). */
export const ERRCODE = Object.freeze({
  systemBusy: -1,
  ok: 0,
  invalidSecret: 40001,
  invalidMediaId: 40007,
  invalidMessageType: 40008,
  invalidParameter: 40058,
  invalidAccessToken: 40014,
  invalidOauthCode: 40029,
  invalidUserList: 40031,
  invalidAgentId: 40056,
  invalidResponseCode: 40097,
  missingCardField: 41034,
  accessTokenExpired: 42001,
  apiRateLimit: 45009,
  tooManyConcurrentCalls: 45033,
  ipNotTrusted: 60020,
  userNotFound: 60111,
  allRecipientsInvalid: 81013,
  chatNotFound: 86003,
  invalidChatUserList: 86004,
});

/** The errcode table. Anything not listed is final. */
export const ERRCODE_TABLE: Readonly<Record<number, FailureKind>> = Object.freeze({
  [ERRCODE.systemBusy]: 'retry',
  [ERRCODE.apiRateLimit]: 'retry',
  [ERRCODE.tooManyConcurrentCalls]: 'retry',
  [ERRCODE.invalidAccessToken]: 'token',
  [ERRCODE.accessTokenExpired]: 'token',
  [ERRCODE.invalidSecret]: 'config',
  [ERRCODE.ipNotTrusted]: 'config',
  [ERRCODE.userNotFound]: 'recipient',
  [ERRCODE.allRecipientsInvalid]: 'recipient',
});

/** Errcodes that mean "this message type cannot be sent here" (a template card falls back to text). */
export const CARD_UNSUPPORTED_ERRCODES: ReadonlySet<number> = new Set([ERRCODE.invalidMessageType, ERRCODE.invalidParameter, ERRCODE.missingCardField]);

/** The access token is invalid or expired: refresh it once and retry. */
export function isTokenErrcode(errcode: number): boolean {
  return ERRCODE_TABLE[errcode] === 'token';
}

export function classify(err: unknown): Classification {
  if (err instanceof WecomApiError) {
    return { kind: ERRCODE_TABLE[err.errcode] ?? 'final', ambiguous: false };
  }
  if (err instanceof WecomTimeoutError) return { kind: 'retry', ambiguous: true };
  if (err instanceof WecomHttpError) {
    if (err.status === null) {
      // Refused before anything was sent is safe; a reset mid-exchange is not.
      return { kind: 'retry', ambiguous: err.code !== 'ECONNREFUSED' };
    }
    if (err.status >= 500 || err.status === 429 || err.status === 408) return { kind: 'retry', ambiguous: err.status >= 500 };
    return { kind: 'final', ambiguous: false };
  }
  // Programming errors and the like: do not loop on them.
  return { kind: 'final', ambiguous: false };
}

export function errcodeOf(err: unknown): number | null {
  return err instanceof WecomApiError ? err.errcode : null;
}

/** Bounded exponential backoff with a cap: attempt 1 → base, 2 → 2·base, … ≤ cap. */
export function backoffMs(attempt: number, baseMs = 2_000, capMs = 10 * 60_000): number {
  const n = Math.max(1, attempt);
  return Math.min(capMs, baseMs * 2 ** (n - 1));
}
