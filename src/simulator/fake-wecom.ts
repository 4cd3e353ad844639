/**
 * A fake WeCom API: the endpoints the client uses, with WeCom's errcodes, token expiry,
 * duplicate check, invalid recipients, and fault injection (errcodes, HTTP statuses, latency,
 * dropped connections, "processed but the answer was lost"). The simulator serves it under
 * /simulator/api without its control endpoints; the tests and the bench run it as a real HTTP
 * server on 127.0.0.1:0 (serveFake), the only place /_control (fault injection) is served.
 */
import crypto from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import multer from 'multer';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { systemClock, type Clock } from '../clock';
import { ERRCODE } from '../wecom/errors';

/** How long a sign-in code lives (WeCom: 5 minutes, single use). */
export const OAUTH_CODE_TTL_MS = 5 * 60_000;

export interface FakeWecomOptions {
  corpId: string;
  secret: string;
  agentId: number;
  clock?: Clock;
  tokenTtlS?: number;
  /** Which userids exist (default: every userid). */
  knownUser?: (userid: string) => boolean | Promise<boolean>;
  /** Answer errcode 0 with `invaliduser` even when every recipient is invalid (seen in practice). */
  allInvalidAsOk?: boolean;
  /** Where delivered messages, card updates and media are recorded (the embedded simulator's history). */
  journal?: FakeJournal;
}

/** A record of what the fake delivered, awaited before it answers (so nothing is lost on a restart). */
export interface FakeJournal {
  messageAdded(m: FakeMessage): Promise<void>;
  messageUpdated(m: FakeMessage): Promise<void>;
}

export interface Fault {
  /** Matches the end of the request path, e.g. "message/send" (default: every endpoint). */
  path?: string;
  errcode?: number;
  errmsg?: string;
  httpStatus?: number;
  /** Answer this late (ms). */
  delayMs?: number;
  /** Destroy the connection without an answer. */
  drop?: boolean;
  /** Process the request normally, then drop the connection (delivered, answer lost). */
  dropAfterProcessing?: boolean;
  /** How many requests this fault applies to (default 1). */
  times?: number;
  /** Only requests naming this recipient (the body's touser, one of a "|" list). */
  touser?: string;
}

export interface FakeMessage {
  msgid: string;
  touser: string;
  msgtype: string;
  body: Record<string, unknown>;
  at: number;
  responseCode: string | null;
  /** For cards after update_template_card. */
  replacedName: string | null;
  chatid: string | null;
}

export interface FakeMedia {
  data: Buffer;
  mime: string;
  name: string;
}

export class FakeWecom {
  readonly clock: Clock;
  private readonly tokenTtlS: number;
  private tokens = new Map<string, number>();
  private faults: (Fault & { left: number })[] = [];
  private timers = new Set<NodeJS.Timeout>();
  /** Requests being handled (a delayed answer counts until the fake has done its work). */
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  readonly messages: FakeMessage[] = [];
  readonly media = new Map<string, FakeMedia>();
  /** How many files media/upload received. */
  uploads = 0;
  readonly chats = new Map<string, { name: string; owner: string; userlist: string[] }>();
  /** Requests per path (all of them, faults included). */
  readonly calls: Record<string, number> = {};
  /** Requests of message/send that carried enable_duplicate_check. */
  duplicateChecked = 0;
  tokenFetches = 0;
  extraUsers = new Set<string>();
  /** The member the simulator's chat page showed last (its sign-in page offers them first). */
  lastUserid: string | null = null;
  /** OAuth codes issued by the sign-in pages: single use, valid OAUTH_CODE_TTL_MS. */
  private readonly oauthCodes = new Map<string, { userid: string; expiresAt: number }>();

  constructor(readonly options: FakeWecomOptions) {
    this.clock = options.clock ?? systemClock;
    this.tokenTtlS = options.tokenTtlS ?? 7200;
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Injected faults not yet used up. */
  get pendingFaults(): number {
    return this.faults.length;
  }

  /**
   * Resolves once no request is being handled: a delayed request whose caller already gave up
   * (timeout) has then been processed, so what the fake received is final.
   */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Counts a request as handled when it answers, or when the fake drops its connection. */
  private track(res: Response): () => void {
    this.inflight += 1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.inflight -= 1;
      if (this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    const end = res.end.bind(res) as (...a: unknown[]) => Response;
    res.end = ((...a: unknown[]) => {
      finish();
      return end(...a);
    }) as Response['end'];
    return finish;
  }

  /**
   * A sign-in code for this user, as WeCom's authorize page hands one to the redirect_uri:
   * auth/getuserinfo accepts it once, within 5 minutes.
   */
  issueOauthCode(userid: string): string {
    const now = this.clock.now().getTime();
    for (const [c, v] of this.oauthCodes) if (v.expiresAt <= now) this.oauthCodes.delete(c);
    const code = crypto.randomBytes(24).toString('base64url');
    this.oauthCodes.set(code, { userid, expiresAt: now + OAUTH_CODE_TTL_MS });
    return code;
  }

  /** Every token issued so far is expired from now on (42001). */
  expireAllTokens(): void {
    for (const k of this.tokens.keys()) this.tokens.set(k, 0);
  }

  messagesFor(userid: string): FakeMessage[] {
    return this.messages.filter((m) => m.touser.split('|').includes(userid));
  }

  putMedia(data: Buffer, mime: string, name: string): string {
    const id = `sim_${crypto.randomBytes(12).toString('hex')}`;
    this.media.set(id, { data, mime, name });
    return id;
  }

  /**
   * Drops the oldest media until at most `maxCount` remain taking at most `maxBytes` together;
   * returns the ids dropped.
   */
  trimMedia(maxCount: number, maxBytes: number): string[] {
    let bytes = 0;
    for (const m of this.media.values()) bytes += m.data.length;
    const dropped: string[] = [];
    for (const [id, m] of this.media) {
      if (this.media.size <= maxCount && bytes <= maxBytes) break;
      this.media.delete(id);
      bytes -= m.data.length;
      dropped.push(id);
    }
    return dropped;
  }

  /** Puts back what an earlier run delivered (from the journal). */
  restore(messages: FakeMessage[], media: Map<string, FakeMedia>): void {
    this.messages.push(...messages);
    for (const [id, m] of media) this.media.set(id, m);
  }

  /** Stops pending delayed answers (tests' teardown). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.inflight = 0;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async userExists(userid: string): Promise<boolean> {
    if (this.extraUsers.has(userid)) return true;
    return this.options.knownUser ? Boolean(await this.options.knownUser(userid)) : true;
  }

  private takeFault(path: string, body: unknown): Fault | null {
    const tousers = typeof (body as { touser?: unknown } | undefined)?.touser === 'string' ? (body as { touser: string }).touser.split('|') : [];
    const i = this.faults.findIndex((f) => (!f.path || path.endsWith(f.path)) && (f.touser === undefined || tousers.includes(f.touser)));
    if (i < 0) return null;
    const f = this.faults[i];
    f.left -= 1;
    if (f.left <= 0) this.faults.splice(i, 1);
    return f;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private checkToken(req: Request): { errcode: number; errmsg: string } | null {
    const token = typeof req.query.access_token === 'string' ? req.query.access_token : '';
    const exp = this.tokens.get(token);
    if (exp === undefined) return { errcode: ERRCODE.invalidAccessToken, errmsg: 'invalid access_token' };
    if (exp <= this.clock.now().getTime()) return { errcode: ERRCODE.accessTokenExpired, errmsg: 'access_token expired' };
    return null;
  }

  /**
   * The fake's endpoints. `control`: also /_control (fault injection, token expiry, inspection),
   * for tests only: a running service never serves it.
   */
  router(options: { control?: boolean } = {}): Router {
    const r = express.Router();
    r.use(express.json({ limit: '1mb' }));

    // Faults first: they apply to every endpoint below.
    r.use('/cgi-bin', async (req, res, next) => {
      const path = req.path;
      this.calls[path] = (this.calls[path] ?? 0) + 1;
      const handled = this.track(res);
      const f = this.takeFault(path, req.body);
      if (!f) return next();
      if (f.delayMs) await this.wait(f.delayMs);
      if (f.drop) {
        handled();
        req.socket.destroy();
        return;
      }
      if (f.dropAfterProcessing) {
        res.json = (() => {
          handled();
          req.socket.destroy();
          return res;
        }) as Response['json'];
        return next();
      }
      if (f.httpStatus) {
        res.status(f.httpStatus).type('text/html').send('<html>error</html>');
        return;
      }
      if (f.errcode !== undefined) {
        res.json({ errcode: f.errcode, errmsg: f.errmsg ?? `injected ${f.errcode}` });
        return;
      }
      next();
    });

    r.get('/cgi-bin/gettoken', (req, res) => {
      this.tokenFetches += 1;
      if (req.query.corpid !== this.options.corpId || req.query.corpsecret !== this.options.secret) {
        res.json({ errcode: ERRCODE.invalidSecret, errmsg: 'invalid credential' });
        return;
      }
      const token = crypto.randomBytes(24).toString('hex');
      this.tokens.set(token, this.clock.now().getTime() + this.tokenTtlS * 1000);
      res.json({ errcode: 0, errmsg: 'ok', access_token: token, expires_in: this.tokenTtlS });
    });

    r.post('/cgi-bin/message/send', async (req, res) => {
      const bad = this.checkToken(req);
      if (bad) return void res.json(bad);
      const b = (req.body ?? {}) as Record<string, unknown>;
      if (Number(b.agentid) !== this.options.agentId) return void res.json({ errcode: ERRCODE.invalidAgentId, errmsg: 'invalid agentid' });
      const msgtype = String(b.msgtype ?? '');
      if (!['text', 'markdown', 'textcard', 'template_card', 'image', 'news'].includes(msgtype) || !b[msgtype]) {
        return void res.json({ errcode: ERRCODE.invalidMessageType, errmsg: 'invalid message type' });
      }
      const users = String(b.touser ?? '')
        .split('|')
        .filter(Boolean);
      if (users.length === 0) return void res.json({ errcode: ERRCODE.invalidUserList, errmsg: 'invalid user list' });
      const valid: string[] = [];
      const invalid: string[] = [];
      for (const u of users) ((await this.userExists(u)) ? valid : invalid).push(u);
      if (valid.length === 0 && this.options.allInvalidAsOk) return void res.json({ errcode: 0, errmsg: 'ok', invaliduser: invalid.join('|') });
      if (valid.length === 0) return void res.json({ errcode: ERRCODE.allRecipientsInvalid, errmsg: 'user & party & tag all invalid', invaliduser: invalid.join('|') });
      const body = b[msgtype] as Record<string, unknown>;
      const now = this.clock.now().getTime();
      const touser = valid.join('|');
      if (Number(b.enable_duplicate_check) === 1) {
        this.duplicateChecked += 1;
        const interval = Math.min(14_400, Number(b.duplicate_check_interval ?? 1800)) * 1000;
        const same = this.messages.find(
          (m) => m.touser === touser && m.msgtype === msgtype && now - m.at <= interval && JSON.stringify(m.body) === JSON.stringify(body),
        );
        if (same) {
          return void res.json({ errcode: 0, errmsg: 'ok', invaliduser: invalid.join('|'), msgid: same.msgid, response_code: same.responseCode ?? undefined });
        }
      }
      const msg: FakeMessage = {
        msgid: crypto.randomBytes(16).toString('hex'),
        touser,
        msgtype,
        body,
        at: now,
        responseCode: msgtype === 'template_card' ? crypto.randomBytes(20).toString('hex') : null,
        replacedName: null,
        chatid: null,
      };
      this.messages.push(msg);
      await this.options.journal?.messageAdded(msg);
      const out: Record<string, unknown> = { errcode: 0, errmsg: 'ok', invaliduser: invalid.join('|'), msgid: msg.msgid };
      if (msg.responseCode) out.response_code = msg.responseCode;
      res.json(out);
    });

    r.post('/cgi-bin/message/update_template_card', async (req, res) => {
      const bad = this.checkToken(req);
      if (bad) return void res.json(bad);
      const b = (req.body ?? {}) as { response_code?: string; button?: { replace_name?: string }; template_card?: Record<string, unknown> };
      const msg = this.messages.find((m) => m.responseCode && m.responseCode === b.response_code);
      if (!msg || msg.replacedName !== null) return void res.json({ errcode: ERRCODE.invalidResponseCode, errmsg: 'invalid response_code' });
      msg.replacedName = b.button?.replace_name ?? '已更新';
      if (b.template_card) msg.body = b.template_card;
      await this.options.journal?.messageUpdated(msg);
      res.json({ errcode: 0, errmsg: 'ok', invaliduser: '' });
    });

    r.get('/cgi-bin/media/get', (req, res) => {
      const bad = this.checkToken(req);
      if (bad) return void res.json(bad);
      const m = this.media.get(String(req.query.media_id ?? ''));
      if (!m) return void res.json({ errcode: ERRCODE.invalidMediaId, errmsg: 'invalid media_id' });
      res.status(200);
      res.setHeader('Content-Type', m.mime);
      res.setHeader('Content-Disposition', `attachment; filename="${encodeURIComponent(m.name)}"`);
      res.end(m.data);
    });

    // media/upload: multipart/form-data with the file in the field "media"; type=image|file|voice|video.
    const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 20 * 1024 * 1024 } });
    r.post('/cgi-bin/media/upload', upload.single('media'), (req, res) => {
      const bad = this.checkToken(req);
      if (bad) return void res.json(bad);
      const type = String(req.query.type ?? '');
      if (!['image', 'file', 'voice', 'video'].includes(type)) return void res.json({ errcode: 40004, errmsg: 'invalid media type' });
      const f = (req as unknown as { file?: { buffer: Buffer; mimetype: string; originalname: string } }).file;
      if (!f || f.buffer.length < 5) return void res.json({ errcode: 40005, errmsg: 'invalid file' });
      const id = this.putMedia(f.buffer, f.mimetype || 'application/octet-stream', f.originalname || 'upload');
      this.uploads += 1;
      res.json({ errcode: 0, errmsg: 'ok', type, media_id: id, created_at: String(Math.floor(this.clock.now().getTime() / 1000)) });
    });

    r.get('/cgi-bin/user/get', async (req, res) => {
      const bad = this.checkToken(req);
      if (bad) return void res.json(bad);
      const userid = String(req.query.userid ?? '');
      if (!userid || !(await this.userExists(userid))) return void res.json({ errcode: ERRCODE.userNotFound, errmsg: 'userid not found' });
      res.json({ errcode: 0, errmsg: 'ok', userid, name: userid, status: 1 });
    });

    // 网页授权 / QR sign-in: the code the authorize page gave → the member's userid (once).
    r.get('/cgi-bin/auth/getuserinfo', (req, res) => {
      const bad = this.checkToken(req);
      if (bad) return void res.json(bad);
      const code = String(req.query.code ?? '');
      const entry = this.oauthCodes.get(code);
      // Used or unknown, or expired: WeCom answers 40029 invalid code for each.
      this.oauthCodes.delete(code);
      if (!entry || entry.expiresAt <= this.clock.now().getTime()) {
        return void res.json({ errcode: ERRCODE.invalidOauthCode, errmsg: 'invalid code' });
      }
      res.json({ errcode: 0, errmsg: 'ok', userid: entry.userid });
    });

    r.post('/cgi-bin/appchat/create', (req, res) => {
      const bad = this.checkToken(req);
      if (bad) return void res.json(bad);
      const b = (req.body ?? {}) as { name?: string; owner?: string; userlist?: string[]; chatid?: string };
      if (!Array.isArray(b.userlist) || b.userlist.length < 2) return void res.json({ errcode: ERRCODE.invalidChatUserList, errmsg: 'invalid userlist' });
      const chatid = b.chatid ?? `chat${crypto.randomBytes(8).toString('hex')}`;
      this.chats.set(chatid, { name: b.name ?? '', owner: b.owner ?? b.userlist[0], userlist: b.userlist });
      res.json({ errcode: 0, errmsg: 'ok', chatid });
    });

    r.post('/cgi-bin/appchat/send', async (req, res) => {
      const bad = this.checkToken(req);
      if (bad) return void res.json(bad);
      const b = (req.body ?? {}) as Record<string, unknown>;
      const chat = this.chats.get(String(b.chatid ?? ''));
      if (!chat) return void res.json({ errcode: ERRCODE.chatNotFound, errmsg: 'chat not found' });
      const msgtype = String(b.msgtype ?? '');
      const msg: FakeMessage = {
        msgid: crypto.randomBytes(16).toString('hex'),
        touser: chat.userlist.join('|'),
        msgtype,
        body: (b[msgtype] as Record<string, unknown>) ?? {},
        at: this.clock.now().getTime(),
        responseCode: null,
        replacedName: null,
        chatid: String(b.chatid),
      };
      this.messages.push(msg);
      await this.options.journal?.messageAdded(msg);
      res.json({ errcode: 0, errmsg: 'ok' });
    });

    if (!options.control) return r;
    // Fault injection and inspection, for tests (serveFake) only.
    r.post('/_control/faults', (req, res) => {
      const list = Array.isArray(req.body) ? req.body : [req.body];
      for (const f of list) this.inject(f as Fault);
      res.json({ ok: true, pending: this.faults.length });
    });
    r.delete('/_control/faults', (_req, res) => {
      this.clearFaults();
      res.json({ ok: true });
    });
    r.post('/_control/expire-tokens', (_req, res) => {
      this.expireAllTokens();
      res.json({ ok: true });
    });
    r.get('/_control/messages', (req, res) => {
      const userid = typeof req.query.userid === 'string' ? req.query.userid : null;
      res.json({ messages: userid ? this.messagesFor(userid) : this.messages });
    });
    r.get('/_control/stats', (_req, res) => {
      res.json({ calls: this.calls, tokenFetches: this.tokenFetches, duplicateChecked: this.duplicateChecked, messages: this.messages.length });
    });
    return r;
  }
}

export interface ServedFake {
  url: string;
  server: Server;
  /** Stops the fake's timers and the server (open connections too). */
  close(): Promise<void>;
}

/**
 * Serves a fake WeCom as a real HTTP server on 127.0.0.1 at a free port (the tests' and the
 * bench's fixture); `before`, if given, sees each request first (to count or schedule faults).
 */
export async function serveFake(fake: FakeWecom, before?: RequestHandler): Promise<ServedFake> {
  const app = express();
  if (before) app.use(before);
  app.use(fake.router({ control: true }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    async close() {
      fake.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
