/**
 * The simulator's chat page and its small API (under /simulator): pick a user, see what that
 * user received from the bot, send text, click card buttons, send screenshots. Every action is
 * sent to /wecom/callback as a signed and encrypted callback, the way WeCom would send it.
 *
 * Acting as any user (a supervisor's 通过 included) is an admin's power: the page and its API
 * need a console session of an admin (or ADMIN_TOKEN), with the session's CSRF token on every
 * change, exactly as /api does; the page sends a browser without one to the console's sign-in
 * and back. Screenshots kept for the fake's media/get are bounded in size and number.
 */
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import type { Knex } from 'knex';
import type { Clock } from '../clock';
import type { WecomCredentials } from '../config';
import type { Logger } from '../logger';
import { postAction, randomMsgId, type UserAction } from './callback-client';
import type { FakeWecom } from './fake-wecom';
import type { SentByUser, SimulatorStore } from './store';

export interface SimulatorPageDeps {
  fake: FakeWecom;
  credentials: WecomCredentials;
  db: Knex;
  clock: Clock;
  logger: Logger;
  /** The callback URL, known once the server listens. */
  callbackUrl: () => string;
  /** The base URL of this service, for PicUrl. */
  publicBase: () => string;
  /** Where the chat history is kept across restarts (the embedded simulator; none in some tests). */
  store?: SimulatorStore;
  /** What users sent in an earlier run (restored from the store). */
  sent?: SentByUser[];
  /**
   * Who may use the page ('page': a browser is sent to sign in) and its API ('api': 401/403 and
   * CSRF). The service passes the console's session guard; only tests of the page alone omit it.
   */
  guard?: { page: RequestHandler; api: RequestHandler };
}

/** The largest screenshot the page accepts (WeCom's own limit for an image is 10 MB). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
/** Screenshots kept for media/get: the oldest go beyond this many, or beyond this many bytes together. */
export const MAX_STORED_IMAGES = 100;
export const MAX_STORED_IMAGE_BYTES = 50 * 1024 * 1024;


const USERID = /^[A-Za-z0-9_.@-]{1,64}$/;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export function createSimulatorPage(deps: SimulatorPageDeps): Router {
  const r = express.Router();
  const sent: SentByUser[] = deps.sent ?? [];
  const api = express.Router();
  if (deps.guard) api.use(deps.guard.api);
  // Base64 makes 4 bytes of 3, plus the other fields.
  api.use(express.json({ limit: Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 64 * 1024 }));

  const userid = (v: unknown): string => {
    if (typeof v !== 'string' || !USERID.test(v)) {
      throw Object.assign(new Error('bad userid'), { status: 400, userMessage: '用户账号无效：只能包含字母、数字和 _ . @ -' });
    }
    deps.fake.extraUsers.add(v);
    return v;
  };

  /** `label`: what the user saw (a button's text) where it differs from what is sent. */
  const act = async (a: UserAction, label?: string): Promise<SentByUser> => {
    const at = deps.clock.now().getTime();
    const status = await postAction(deps.callbackUrl(), deps.credentials, a);
    const entry: SentByUser = {
      id: `u${sent.length + 1}-${a.createTimeS}`,
      userid: a.fromUserid,
      at,
      kind: a.kind,
      text: a.kind === 'text' ? (a.content ?? '') : a.kind === 'card_click' ? (label ?? a.eventKey ?? '') : null,
      mediaId: a.mediaId ?? null,
      status,
    };
    sent.push(entry);
    await deps.store?.userSent(entry);
    if (status !== 200) deps.logger.warn({ status, kind: a.kind }, '模拟器回调被拒绝');
    return entry;
  };

  api.get('/users', async (_req, res) => {
    const rows = await deps.db('contacts as c')
      .leftJoin('units as u', 'u.id', 'c.unit_id')
      .where('c.active', true)
      .orderBy('c.id')
      .select('c.wecom_userid as userid', 'c.name', 'c.role', 'u.name as unit', 'c.reachable');
    const known = new Set(rows.map((x: any) => x.userid));
    const extra = [...deps.fake.extraUsers].filter((u) => !known.has(u)).map((u) => ({ userid: u, name: null, role: null, unit: null }));
    res.json({ users: [...rows, ...extra] });
  });

  api.get('/messages', (req, res) => {
    const u = userid(req.query.userid);
    deps.fake.lastUserid = u;
    const received = deps.fake.messagesFor(u).map((m) => ({ dir: 'in', ...m }));
    const mine = sent.filter((s) => s.userid === u).map((s) => ({ dir: 'out', ...s }));
    res.json({ userid: u, items: [...received, ...mine].sort((a, b) => a.at - b.at) });
  });

  api.post('/text', async (req, res) => {
    const u = userid(req.body?.userid);
    const content = String(req.body?.content ?? '').slice(0, 2048);
    if (!content.trim()) return void res.status(400).json({ error: 'empty', message: '消息不能为空' });
    const e = await act({ fromUserid: u, kind: 'text', content, createTimeS: nowS(deps.clock) });
    res.status(e.status === 200 ? 200 : 502).json(e);
  });

  api.post('/click', async (req, res) => {
    const u = userid(req.body?.userid);
    const msg = deps.fake.messagesFor(u).find((m) => m.msgid === req.body?.msgid);
    const card = msg?.body as { task_id?: string; button_list?: { key: string; text?: string }[] } | undefined;
    const key = String(req.body?.key ?? '');
    const button = card?.button_list?.find((b) => b.key === key);
    if (!msg || msg.msgtype !== 'template_card' || !button) {
      return void res.status(400).json({ error: 'no_card', message: '找不到这张卡片或按钮' });
    }
    if (msg.replacedName !== null) return void res.status(409).json({ error: 'used', message: '该卡片已处理' });
    const e = await act({
      fromUserid: u,
      kind: 'card_click',
      eventKey: key,
      taskId: card?.task_id ?? '',
      responseCode: msg.responseCode ?? '',
      createTimeS: nowS(deps.clock),
    }, button.text);
    res.status(e.status === 200 ? 200 : 502).json(e);
  });

  api.post('/image', async (req, res) => {
    const u = userid(req.body?.userid);
    const mime = String(req.body?.mime ?? '');
    const data = Buffer.from(String(req.body?.dataBase64 ?? ''), 'base64');
    if (!IMAGE_TYPES.has(mime) || data.length === 0) {
      return void res.status(400).json({ error: 'bad_image', message: '只支持 PNG、JPEG、GIF、WebP 图片' });
    }
    if (data.length > MAX_IMAGE_BYTES) {
      return void res.status(413).json({ error: 'too_large', message: `图片过大：最大 ${MAX_IMAGE_BYTES / 1024 / 1024} MB` });
    }
    const name = String(req.body?.name ?? 'image').slice(0, 100);
    const mediaId = deps.fake.putMedia(data, mime, name);
    await deps.store?.mediaAdded(mediaId, { data, mime, name }, deps.clock.now().getTime());
    const dropped = deps.fake.trimMedia(MAX_STORED_IMAGES, MAX_STORED_IMAGE_BYTES);
    if (dropped.length) await deps.store?.mediaRemoved(dropped);
    const e = await act({
      fromUserid: u,
      kind: 'image',
      mediaId,
      picUrl: `${deps.publicBase()}/simulator/page/media/${mediaId}`,
      msgId: randomMsgId(),
      createTimeS: nowS(deps.clock),
    });
    res.status(e.status === 200 ? 200 : 502).json(e);
  });

  api.get('/media/:id', (req, res) => {
    const m = deps.fake.media.get(req.params.id);
    if (!m) return void res.status(404).json({ error: 'not_found', message: '图片不存在' });
    res.type(m.mime).send(m.data);
  });

  api.use((err: any, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (err?.userMessage) return void res.status(err.status ?? 400).json({ error: 'bad_request', message: err.userMessage });
    if (err?.status === 413) {
      return void res.status(413).json({ error: 'too_large', message: `图片过大：最大 ${MAX_IMAGE_BYTES / 1024 / 1024} MB` });
    }
    if (err?.status && err.status < 500) return void res.status(err.status).json({ error: 'bad_request', message: '请求无效' });
    next(err);
  });

  r.use('/simulator/page', api);
  if (deps.guard) r.use('/simulator', deps.guard.page);
  r.use('/simulator', express.static(path.join(__dirname, 'public'), { index: 'index.html', redirect: true }));
  return r;
}

function nowS(clock: Clock): number {
  return Math.floor(clock.now().getTime() / 1000);
}
