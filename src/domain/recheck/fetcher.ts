/**
 * The re-check's HTTP client (undici): polite and safe by construction.
 * - One request at a time per host name (a queue per host), and at most `concurrency` at once.
 * - A clear User-Agent, a timeout per request, a size cap per response (the body is cut while
 *   streaming, never read whole), redirects followed by hand (loops detected, at most maxRedirects).
 * - No connection to a private, loopback or reserved address unless the guard allows it: the
 *   resolved IPs are checked before every request (redirect targets included) and again when
 *   the socket connects.
 * - HTTPS_PROXY / HTTP_PROXY (and NO_PROXY) honoured; through a proxy the certificate is still
 *   verified, but its expiry date is not seen.
 */
import tls, { type TLSSocket } from 'node:tls';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Dispatcher, buildConnector } from 'undici';

// undici is loaded on the first request: every CLI command builds this module, few use it.
type Undici = typeof import('undici');
let undiciModule: Promise<Undici> | null = null;
const loadUndici = () => (undiciModule ??= import('undici'));
import { AddressGuard, BlockedAddressError, systemLookup, type LookupAll } from './guard';

export interface FetcherOptions {
  userAgent: string;
  /** Per request (connect, headers and body). */
  timeoutMs: number;
  /** Size cap per response body, in bytes. */
  maxBytes: number;
  maxRedirects: number;
  /** Requests in flight at once (each to a different host). */
  concurrency: number;
  guard: AddressGuard;
  /** Name resolution (tests and the bench map names to 127.0.0.1). */
  lookup?: LookupAll;
  /** Proxy URLs; undefined: HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment. */
  proxy?: { http: string | null; https: string | null; noProxy: string[] };
  /** Extra trusted CA certificates (PEM), beside the system's. */
  ca?: string[];
}

export interface TlsInfo {
  /** The certificate chain verified. */
  valid: boolean;
  /** Why not (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, …). */
  error: string | null;
  validTo: Date | null;
  viaProxy: boolean;
}

export type FailureKind = 'timeout' | 'network' | 'blocked' | 'redirect_loop' | 'too_many_redirects' | 'bad_url';

export interface Hop {
  url: string;
  status: number;
  location: string | null;
}

export interface PageFetch {
  url: string;
  finalUrl: string;
  /** Status of the last response (null: none came). */
  status: number | null;
  hops: Hop[];
  /** Time to the first response's headers, ms. */
  ttfbMs: number | null;
  body: Buffer;
  /** The body was longer than maxBytes and was cut. */
  truncated: boolean;
  contentType: string | null;
  failure: { kind: FailureKind; message: string } | null;
  /** The certificate of the first https host met (null for plain http). */
  tls: TlsInfo | null;
}

const CERT_ERRORS = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
]);

/** Runs tasks one at a time per key. */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/** At most n tasks at once. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly n: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

function envProxy(): { http: string | null; https: string | null; noProxy: string[] } {
  const e = process.env;
  const https = e.HTTPS_PROXY || e.https_proxy || null;
  const http = e.HTTP_PROXY || e.http_proxy || null;
  const noProxy = (e.NO_PROXY || e.no_proxy || '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return { http, https: https ?? http, noProxy };
}

function errorCode(e: unknown): string | null {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

function findBlocked(e: unknown): BlockedAddressError | null {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    if (cur instanceof BlockedAddressError) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

export class PoliteFetcher {
  private readonly perHost = new KeyedQueue();
  private readonly slots: Semaphore;
  private readonly lookup: LookupAll;
  private readonly proxy: { http: string | null; https: string | null; noProxy: string[] };
  private readonly dispatchers = new Map<string, Dispatcher>();
  /** Certificates seen on connect, by host:port (direct connections only). */
  private readonly certs = new Map<string, TlsInfo>();
  private requests = 0;

  constructor(readonly options: FetcherOptions) {
    this.slots = new Semaphore(Math.max(1, options.concurrency));
    this.lookup = options.lookup ?? systemLookup;
    this.proxy = options.proxy ?? envProxy();
  }

  /** Requests sent so far (the bench and tests count them). */
  get requestCount(): number {
    return this.requests;
  }

  async close(): Promise<void> {
    await Promise.all([...this.dispatchers.values()].map((d) => d.close().catch(() => undefined)));
    this.dispatchers.clear();
  }

  private proxyFor(u: URL): string | null {
    const host = u.hostname.toLowerCase();
    if (this.proxy.noProxy.some((n) => n === '*' || host === n.replace(/^\./, '') || host.endsWith(n.startsWith('.') ? n : `.${n}`))) return null;
    return u.protocol === 'https:' ? this.proxy.https : this.proxy.http;
  }

  private dispatcher(u: Undici, proxy: string | null, insecure: boolean): Dispatcher {
    const key = `${proxy ?? 'direct'}|${insecure}`;
    let d = this.dispatchers.get(key);
    if (d) return d;
    const ca = this.options.ca?.length ? [...tls.rootCertificates, ...this.options.ca] : undefined;
    const tlsOpts = { rejectUnauthorized: !insecure, ...(ca ? { ca } : {}) };
    const common = { connections: 1, keepAliveTimeout: 2000, keepAliveMaxTimeout: 4000, headersTimeout: this.options.timeoutMs, bodyTimeout: this.options.timeoutMs };
    if (proxy) {
      d = new u.ProxyAgent({ uri: proxy, requestTls: tlsOpts, ...common });
    } else {
      const base = u.buildConnector({ ...tlsOpts, timeout: this.options.timeoutMs, lookup: this.guardedLookup() });
      const connect: buildConnector.connector = (opts, cb) =>
        base(opts, (err, socket) => {
          if (!err && socket && typeof (socket as TLSSocket).getPeerCertificate === 'function') {
            const s = socket as TLSSocket;
            const cert = s.getPeerCertificate();
            this.certs.set(`${opts.hostname}:${opts.port || 443}`, {
              valid: s.authorized,
              error: s.authorizationError ? String(s.authorizationError) : null,
              validTo: cert?.valid_to ? new Date(cert.valid_to) : null,
              viaProxy: false,
            });
          }
          (cb as (e: Error | null, s: unknown) => void)(err, socket);
        });
      d = new u.Agent({ ...common, connect });
    }
    this.dispatchers.set(key, d);
    return d;
  }

  /** net's lookup, through the injected resolver, refusing addresses the guard does not allow. */
  private guardedLookup(): LookupFunction {
    return ((hostname: string, opts: { all?: boolean; family?: number } | number, cb: (...a: unknown[]) => void) => {
      const all = typeof opts === 'object' && opts?.all === true;
      this.lookup(hostname)
        .then((addrs) => {
          this.options.guard.check(hostname, addrs.map((a) => a.address));
          if (!addrs.length) throw Object.assign(new Error(`无法解析 ${hostname}`), { code: 'ENOTFOUND' });
          if (all) cb(null, addrs);
          else cb(null, addrs[0].address, addrs[0].family);
        })
        .catch((e) => cb(e));
    }) as unknown as LookupFunction;
  }

  /**
   * Resolves and checks a host before any request to it. Behind a proxy a name this machine
   * cannot resolve is left to the proxy (offices often resolve outside names only there).
   */
  private async precheck(u: URL, viaProxy: boolean): Promise<void> {
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (ipaddr.isValid(host)) return this.options.guard.check(host, [host]);
    let addrs: { address: string }[];
    try {
      addrs = await this.lookup(host);
    } catch (e) {
      if (viaProxy) return;
      throw e;
    }
    this.options.guard.check(host, addrs.map((a) => a.address));
  }

  /** One request, in its host's queue; the body read up to maxBytes (or dropped). */
  private hop(u: URL, opts: { readBody: boolean; insecure: boolean }) {
    return this.perHost.run(u.hostname.toLowerCase(), () =>
      this.slots.run(async () => {
        const undici = await loadUndici();
        const proxy = this.proxyFor(u);
        await this.precheck(u, proxy !== null);
        const started = performance.now();
        this.requests++;
        const signal = AbortSignal.timeout(this.options.timeoutMs);
        const res = await undici.request(u, {
          method: 'GET',
          dispatcher: this.dispatcher(undici, proxy, opts.insecure),
          headers: { 'user-agent': this.options.userAgent, accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5', 'accept-language': 'zh-CN,zh;q=0.9' },
          signal,
        });
        const ttfbMs = performance.now() - started;
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        try {
          if (opts.readBody && !(res.statusCode >= 300 && res.statusCode < 400)) {
            for await (const chunk of res.body) {
              const b = chunk as Buffer;
              if (size + b.length > this.options.maxBytes) {
                chunks.push(b.subarray(0, this.options.maxBytes - size));
                size = this.options.maxBytes;
                truncated = true;
                break;
              }
              chunks.push(b);
              size += b.length;
            }
          }
        } finally {
          // Whatever is left is not read: the connection is dropped rather than drained.
          if (!res.body.readableEnded) {
            res.body.on('error', () => undefined);
            res.body.destroy();
          }
        }
        const location = res.headers.location;
        const ct = res.headers['content-type'];
        return {
          status: res.statusCode,
          location: Array.isArray(location) ? location[0] : location ?? null,
          contentType: (Array.isArray(ct) ? ct[0] : ct) ?? null,
          body: Buffer.concat(chunks),
          truncated,
          ttfbMs,
          viaProxy: proxy !== null,
        };
      }),
    );
  }

  /** GET a page, following redirects; failures are reported, never thrown. */
  async fetchPage(url: string, opts: { readBody?: boolean } = {}): Promise<PageFetch> {
    const readBody = opts.readBody ?? true;
    const out: PageFetch = { url, finalUrl: url, status: null, hops: [], ttfbMs: null, body: Buffer.alloc(0), truncated: false, contentType: null, failure: null, tls: null };
    let current: URL;
    try {
      current = new URL(url);
      if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new Error('scheme');
    } catch {
      out.failure = { kind: 'bad_url', message: `不是有效的网址：${url}` };
      return out;
    }
    const seen = new Set<string>();
    let insecure = false;
    for (;;) {
      if (seen.has(current.href)) {
        out.failure = { kind: 'redirect_loop', message: `重定向循环：${[...out.hops.map((h) => h.url), current.href].join(' → ')}` };
        return out;
      }
      if (out.hops.length > this.options.maxRedirects) {
        out.failure = { kind: 'too_many_redirects', message: `重定向超过 ${this.options.maxRedirects} 次` };
        return out;
      }
      seen.add(current.href);
      let r: Awaited<ReturnType<PoliteFetcher['hop']>>;
      try {
        r = await this.hop(current, { readBody, insecure });
      } catch (e) {
        const code = errorCode(e);
        if (code && CERT_ERRORS.has(code) && !insecure) {
          // The certificate is refused: record why, and look at the content anyway.
          out.tls ??= { valid: false, error: code, validTo: null, viaProxy: this.proxyFor(current) !== null };
          insecure = true;
          seen.delete(current.href);
          continue;
        }
        const blocked = findBlocked(e);
        if (blocked) out.failure = { kind: 'blocked', message: blocked.message };
        else if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || (e as Error)?.name === 'TimeoutError' || code === 'ABORT_ERR')
          out.failure = { kind: 'timeout', message: `${this.options.timeoutMs / 1000} 秒内未响应：${current.href}` };
        else out.failure = { kind: 'network', message: `无法连接 ${current.host}（${code ?? (e as Error)?.message ?? '未知错误'}）` };
        return out;
      }
      if (out.ttfbMs === null) out.ttfbMs = r.ttfbMs;
      if (current.protocol === 'https:' && (!out.tls || out.tls.validTo === null)) {
        const seenCert = this.certs.get(`${current.hostname}:${current.port || 443}`);
        if (out.tls && seenCert) out.tls = { ...out.tls, validTo: seenCert.validTo };
        else if (!out.tls) out.tls = seenCert ? { ...seenCert, valid: true, error: null } : { valid: true, error: null, validTo: null, viaProxy: r.viaProxy };
      }
      out.hops.push({ url: current.href, status: r.status, location: r.location });
      out.status = r.status;
      out.finalUrl = current.href;
      if (r.status >= 300 && r.status < 400 && r.location) {
        try {
          current = new URL(r.location, current);
        } catch {
          out.failure = { kind: 'network', message: `重定向地址无效：${r.location}` };
          return out;
        }
        if (current.protocol !== 'http:' && current.protocol !== 'https:') {
          out.failure = { kind: 'bad_url', message: `重定向到不支持的地址：${current.href}` };
          return out;
        }
        continue;
      }
      out.body = r.body;
      out.truncated = r.truncated;
      out.contentType = r.contentType;
      return out;
    }
  }
}
