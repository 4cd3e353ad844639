/**
 * `GET`/`POST /wecom/callback`, layered: signature → timestamp window → cipher (receiveid) →
 * XML envelope → durable, deduplicated store → empty 200. Processing happens later
 * (InboundProcessor). Refusals are logged without secrets and store nothing.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Clock } from '../../clock';
import type { WecomCredentials } from '../../config';
import type { Logger } from '../../logger';
import { callbackOutcomes } from './outcomes';
import type { InboundStore } from '../../domain/inbound/store';
import { CipherError, decryptMessage } from './cipher';
import { EnvelopeError, MAX_XML_BYTES, parseInbound, parseOuterEnvelope } from './envelope';
import { timestampFresh, verifySignature } from './signature';
import { TimeoutError, withTimeout } from '../../timeout';

export interface CallbackDeps {
  credentials: WecomCredentials;
  /** WECOM_CALLBACK_MAX_AGE_S; 0 turns the replay window off. */
  maxAgeS: number;
  clock: Clock;
  logger: Logger;
  inbound: InboundStore;
  /** How long a POST waits to store the message before answering 503 (default CALLBACK_STORE_TIMEOUT_MS). */
  storeTimeoutMs?: number;
  /**
   * Run first on both methods: the service's security headers (precomputed), since the route is
   * mounted ahead of the app's common middleware.
   */
  headers?: RequestHandler;
}

/**
 * WeCom waits 5 s for an answer and retries a callback that got anything but 200. When the
 * message cannot be stored in time (the database is unreachable or stuck) the route answers 503,
 * never a false 200: WeCom delivers it again, and the dedupe key makes a late store harmless.
 */
export const CALLBACK_STORE_TIMEOUT_MS = 3_000;

export const CALLBACK_PATH = '/wecom/callback';

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly userMessage: string,
  ) {
    super(code);
  }
}

const MESSAGES = {
  missing_params: '缺少回调参数',
  bad_signature: '签名校验失败',
  stale_timestamp: '时间戳过期',
  bad_ciphertext: '密文无效',
  wrong_receiver: '企业 ID 不匹配',
  bad_xml: 'XML 格式无效',
  too_large: '请求体过大',
} as const;

function refuse(status: number, code: keyof typeof MESSAGES): Refusal {
  return new Refusal(status, code, MESSAGES[code]);
}

function q(req: Request, name: string): string | null {
  const v = (req.query as Record<string, unknown>)[name];
  return typeof v === 'string' && v.length > 0 && v.length <= 4096 ? v : null;
}

/** Checks the common query parameters and the signature over `encrypt`. */
function verify(req: Request, deps: CallbackDeps, encrypt: string): void {
  const signature = q(req, 'msg_signature');
  const timestamp = q(req, 'timestamp');
  const nonce = q(req, 'nonce');
  if (!signature || !timestamp || !nonce) throw refuse(400, 'missing_params');
  if (!verifySignature(deps.credentials.token, timestamp, nonce, encrypt, signature)) throw refuse(401, 'bad_signature');
  if (!timestampFresh(timestamp, deps.clock.now().getTime(), deps.maxAgeS)) throw refuse(403, 'stale_timestamp');
}

function decrypt(deps: CallbackDeps, encrypt: string): string {
  try {
    return decryptMessage(deps.credentials.encodingAesKey, encrypt, deps.credentials.corpId);
  } catch (e) {
    if (e instanceof CipherError) throw refuse(e.reason === 'wrong_receiver' ? 403 : 400, e.reason);
    throw refuse(400, 'bad_ciphertext');
  }
}

export function createCallbackRouter(deps: CallbackDeps): Router {
  const router = express.Router();
  if (deps.headers) router.use(CALLBACK_PATH, deps.headers);

  router.get(CALLBACK_PATH, (req, res) => {
    // A '+' left unencoded by a proxy arrives as a space; base64 has no spaces.
    const echostr = q(req, 'echostr')?.replace(/ /g, '+') ?? null;
    if (!echostr) throw refuse(400, 'missing_params');
    verify(req, deps, echostr);
    const plain = decrypt(deps, echostr);
    res.status(200).type('text/plain').send(plain);
  });

  router.post(
    CALLBACK_PATH,
    express.text({ type: () => true, limit: MAX_XML_BYTES, defaultCharset: 'utf-8' }),
    async (req, res) => {
      const body = typeof req.body === 'string' ? req.body : '';
      let outer: ReturnType<typeof parseOuterEnvelope>;
      try {
        outer = parseOuterEnvelope(body);
      } catch (e) {
        if (e instanceof EnvelopeError) throw refuse(400, 'bad_xml');
        throw e;
      }
      verify(req, deps, outer.encrypt);
      const plain = decrypt(deps, outer.encrypt);
      let fields: ReturnType<typeof parseInbound>;
      try {
        fields = parseInbound(plain);
      } catch (e) {
        if (e instanceof EnvelopeError) throw refuse(400, 'bad_xml');
        throw e;
      }
      let stored: { id: number; created: boolean };
      try {
        stored = await withTimeout(deps.inbound.record(fields, plain, deps.clock.now()), deps.storeTimeoutMs ?? CALLBACK_STORE_TIMEOUT_MS, 'storing the callback');
      } catch (e) {
        deps.logger.error(
          { err: e instanceof Error ? e.message : String(e), msgType: fields.msgType, from: fields.fromUserName },
          e instanceof TimeoutError
            ? '企业微信回调未能及时保存（数据库无响应），已答复 503，企业微信将重试'
            : '企业微信回调保存失败（数据库不可用），已答复 503，企业微信将重试',
        );
        res.status(503).set('Retry-After', '5').json({ error: 'unavailable', message: '服务暂时不可用，请稍后重试' });
        callbackOutcomes.inc({ outcome: 'unavailable' });
        return;
      }
      const { id, created } = stored;
      // A stored callback is routine (debug; its event row is the record); a duplicate is worth a line.
      if (created) {
        if (deps.logger.isLevelEnabled('debug')) deps.logger.debug({ inbound: id, msgType: fields.msgType, event: fields.event ?? undefined, from: fields.fromUserName }, '收到企业微信回调');
      } else {
        deps.logger.info({ inbound: id, duplicate: true, msgType: fields.msgType, event: fields.event ?? undefined, from: fields.fromUserName }, '重复的企业微信回调，已忽略');
      }
      res.status(200).type('text/plain').end();
      callbackOutcomes.inc({ outcome: created ? 'accepted' : 'duplicate' });
    },
  );

  router.use(CALLBACK_PATH, (err: unknown, req: Request, res: Response, next: NextFunction) => {
    let refusal: Refusal | null = err instanceof Refusal ? err : null;
    const status = (err as { status?: number; type?: string }).status;
    if (!refusal && status === 413) refusal = refuse(413, 'too_large');
    else if (!refusal && status && status >= 400 && status < 500) refusal = refuse(400, 'bad_xml');
    if (!refusal) {
      next(err);
      return;
    }
    // Never log the query (signature, echostr) or the body.
    deps.logger.warn({ method: req.method, status: refusal.status, reason: refusal.code, ip: req.ip }, '拒绝企业微信回调');
    res.status(refusal.status).json({ error: refusal.code, message: refusal.userMessage });
    callbackOutcomes.inc({ outcome: `refused:${refusal.code}` });
  });

  return router;
}
