/**
 * The WeCom API client: one axios instance, a table of endpoints, typed errors, and the access
 * token handled for every call (one refresh and retry after 40014/42001).
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { isTokenErrcode, WecomApiError, WecomHttpError, WecomTimeoutError } from './errors';
import type { TokenProvider } from './token';

export interface Endpoint {
  method: 'GET' | 'POST';
  path: string;
  /** Needs ?access_token=… */
  auth: boolean;
}

export const ENDPOINTS = {
  gettoken: { method: 'GET', path: '/cgi-bin/gettoken', auth: false },
  messageSend: { method: 'POST', path: '/cgi-bin/message/send', auth: true },
  updateTemplateCard: { method: 'POST', path: '/cgi-bin/message/update_template_card', auth: true },
  mediaGet: { method: 'GET', path: '/cgi-bin/media/get', auth: true },
  mediaUpload: { method: 'POST', path: '/cgi-bin/media/upload', auth: true },
  userGet: { method: 'GET', path: '/cgi-bin/user/get', auth: true },
  authGetUserInfo: { method: 'GET', path: '/cgi-bin/auth/getuserinfo', auth: true },
  appchatCreate: { method: 'POST', path: '/cgi-bin/appchat/create', auth: true },
  appchatSend: { method: 'POST', path: '/cgi-bin/appchat/send', auth: true },
} as const satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof ENDPOINTS;

export interface TemplateCardButton {
  text: string;
  style?: 1 | 2 | 3 | 4;
  key: string;
}

/** The bodies of message/send, without touser/agentid. */
export type OutgoingMessage =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'markdown'; markdown: { content: string } }
  | { msgtype: 'image'; image: { media_id: string } }
  | { msgtype: 'textcard'; textcard: { title: string; description: string; url: string; btntxt?: string } }
  | {
      msgtype: 'template_card';
      template_card: {
        card_type: 'button_interaction';
        main_title: { title: string; desc?: string };
        sub_title_text?: string;
        horizontal_content_list?: { keyname: string; value: string }[];
        task_id: string;
        button_list: TemplateCardButton[];
        [k: string]: unknown;
      };
    };

export interface SendOptions {
  /** Ask WeCom to drop a repeat of the same content within the interval (seconds, ≤ 14400). */
  duplicateCheckIntervalS?: number;
}

export interface SendResult {
  msgid: string | null;
  responseCode: string | null;
  invalidUsers: string[];
  raw: Record<string, unknown>;
}

export interface MediaDownload {
  data: Buffer;
  contentType: string | null;
  fileName: string | null;
}

export interface WecomClientOptions {
  baseUrl: string;
  corpId: string;
  secret: string;
  agentId: number;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

export interface TokenResponse {
  accessToken: string;
  expiresInS: number;
}

export class WecomClient {
  readonly http: AxiosInstance;
  private tokens: TokenProvider | null = null;
  readonly timeoutMs: number;

  constructor(readonly options: WecomClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.http = axios.create({
      baseURL: options.baseUrl.replace(/\/+$/, ''),
      timeout: this.timeoutMs,
      // We map statuses ourselves.
      validateStatus: () => true,
      maxRedirects: 0,
      // Never let a proxy from the environment see the secret.
      proxy: false,
    });
  }

  /** The simulator learns its port only after listen(). */
  setBaseUrl(url: string): void {
    this.http.defaults.baseURL = url.replace(/\/+$/, '');
  }

  get baseUrl(): string {
    return String(this.http.defaults.baseURL);
  }

  useTokens(tokens: TokenProvider): void {
    this.tokens = tokens;
  }

  get agentId(): number {
    return this.options.agentId;
  }

  /** `gettoken`: used by the TokenProvider only. */
  async fetchToken(): Promise<TokenResponse> {
    const data = await this.raw('gettoken', { corpid: this.options.corpId, corpsecret: this.options.secret });
    return { accessToken: String(data.access_token), expiresInS: Number(data.expires_in ?? 7200) };
  }

  async sendMessage(touser: string, message: OutgoingMessage, options: SendOptions = {}): Promise<SendResult> {
    const body: Record<string, unknown> = { touser, agentid: this.options.agentId, ...message };
    if (options.duplicateCheckIntervalS) {
      body.enable_duplicate_check = 1;
      body.duplicate_check_interval = Math.min(14_400, Math.max(1, Math.floor(options.duplicateCheckIntervalS)));
    }
    const data = await this.call('messageSend', {}, body);
    return {
      msgid: data.msgid ? String(data.msgid) : null,
      responseCode: data.response_code ? String(data.response_code) : null,
      invalidUsers: splitIds(data.invaliduser),
      raw: data,
    };
  }

  async updateTemplateCard(body: {
    userids: string[];
    response_code: string;
    button?: { replace_name: string };
    template_card?: Record<string, unknown>;
  }): Promise<Record<string, unknown>> {
    return this.call('updateTemplateCard', {}, { agentid: this.options.agentId, ...body });
  }

  async getUser(userid: string): Promise<Record<string, unknown>> {
    return this.call('userGet', { userid });
  }

  /**
   * auth/getuserinfo: who signed in with this OAuth code (网页授权 or QR sign-in). A member of
   * the company gets `userid`; anyone else only an `openid`, returned as userid null. An invalid,
   * used or expired code is WecomApiError 40029 (ERRCODE.invalidOauthCode).
   */
  async getUserInfoByCode(code: string): Promise<{ userid: string | null; openid: string | null }> {
    const data = await this.call('authGetUserInfo', { code });
    const userid = typeof data.userid === 'string' && data.userid ? data.userid : typeof data.UserId === 'string' && data.UserId ? data.UserId : null;
    const openid = typeof data.openid === 'string' && data.openid ? data.openid : typeof data.OpenId === 'string' && data.OpenId ? data.OpenId : null;
    return { userid, openid };
  }

  async createAppChat(body: { name?: string; owner?: string; userlist: string[]; chatid?: string }): Promise<string> {
    const data = await this.call('appchatCreate', {}, body);
    return String(data.chatid);
  }

  async sendAppChat(chatid: string, message: OutgoingMessage): Promise<Record<string, unknown>> {
    return this.call('appchatSend', {}, { chatid, ...message });
  }

  /**
   * media/upload: a temporary media (valid 3 days) for image/file messages; returns its media_id.
   * multipart/form-data with the file in the field "media".
   */
  async uploadMedia(type: 'image' | 'file', data: Buffer, fileName: string, contentType: string): Promise<string> {
    const form = new FormData();
    form.append('media', new Blob([data], { type: contentType }), fileName);
    const res = await this.call('mediaUpload', { type }, form);
    if (typeof res.media_id !== 'string' || !res.media_id) throw new WecomApiError(-1, 'media/upload returned no media_id', 'mediaUpload');
    return res.media_id;
  }

  /** media/get: binary on success, JSON with errcode on failure. */
  /**
   * Downloads a media file. A body longer than `maxBytes` is cut off while it streams in (axios
   * stops reading at the first byte over): at most that much is ever held in memory.
   */
  async getMedia(mediaId: string, maxBytes = -1): Promise<MediaDownload> {
    return this.withToken('mediaGet', async (token) => {
      const res = await this.request('mediaGet', { access_token: token, media_id: mediaId }, undefined, 'arraybuffer', maxBytes);
      const type = String(res.headers['content-type'] ?? '');
      const buf = Buffer.from(res.data as ArrayBuffer);
      if (/json|text\/plain/i.test(type)) {
        let data: Record<string, unknown> = {};
        try {
          data = JSON.parse(buf.toString('utf8'));
        } catch {
          throw new WecomHttpError(res.status, 'EBADJSON', 'mediaGet');
        }
        check('mediaGet', data);
        throw new WecomApiError(-1, 'media/get returned JSON without an error', 'mediaGet');
      }
      const disposition = String(res.headers['content-disposition'] ?? '');
      const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
      return { data: buf, contentType: type || null, fileName: m ? decodeURIComponent(m[1]) : null };
    });
  }

  /** Calls an authenticated endpoint; one refresh and retry after 40014/42001. */
  async call(name: EndpointName, query: Record<string, string> = {}, body?: unknown): Promise<Record<string, unknown>> {
    return this.withToken(name, (token) => this.raw(name, { ...query, access_token: token }, body));
  }

  private async withToken<T>(name: EndpointName, fn: (token: string) => Promise<T>): Promise<T> {
    if (!this.tokens) throw new Error('WecomClient: no TokenProvider');
    const token = await this.tokens.get();
    try {
      return await fn(token);
    } catch (e) {
      if (e instanceof WecomApiError && isTokenErrcode(e.errcode)) {
        this.tokens.invalidate(token);
        const fresh = await this.tokens.get();
        return fn(fresh);
      }
      throw e;
    }
  }

  private async raw(name: EndpointName, query: Record<string, string>, body?: unknown): Promise<Record<string, unknown>> {
    const res = await this.request(name, query, body, 'json');
    const data = res.data as Record<string, unknown>;
    check(name, data);
    return data;
  }

  private async request(
    name: EndpointName,
    query: Record<string, string>,
    body: unknown,
    responseType: 'json' | 'arraybuffer',
    maxContentLength = -1,
  ): Promise<AxiosResponse> {
    const ep: Endpoint = ENDPOINTS[name];
    let res: AxiosResponse;
    try {
      res = await this.http.request({
        method: ep.method,
        url: ep.path,
        params: query,
        data: body,
        responseType,
        maxContentLength,
        // Keep axios from parsing silently into a string on bad JSON.
        transitional: { silentJSONParsing: false, forcedJSONParsing: true, clarifyTimeoutError: true },
      });
    } catch (e) {
      throw mapTransportError(e, name, this.timeoutMs);
    }
    if (res.status < 200 || res.status >= 300) throw new WecomHttpError(res.status, null, name);
    return res;
  }
}

function check(name: string, data: unknown): void {
  if (!data || typeof data !== 'object') throw new WecomHttpError(200, 'EBADBODY', name);
  const d = data as Record<string, unknown>;
  const errcode = Number(d.errcode ?? 0);
  if (errcode !== 0) throw new WecomApiError(errcode, String(d.errmsg ?? ''), name);
}

function mapTransportError(e: unknown, name: string, timeoutMs: number): Error {
  const code = (e as { code?: string }).code ?? null;
  if (/maxContentLength size of \d+ exceeded/.test((e as Error).message ?? '')) return new WecomHttpError(200, 'ETOOLARGE', name);
  if (code === 'ETIMEDOUT' || code === 'ECONNABORTED') return new WecomTimeoutError(timeoutMs, name);
  const status = (e as { response?: { status?: number } }).response?.status;
  // An unparseable body: keep the HTTP status (a proxy's HTML error page is a 5xx, not a 200).
  if (status !== undefined) return new WecomHttpError(status, status >= 200 && status < 300 ? 'EBADJSON' : null, name);
  if (code === 'ERR_BAD_RESPONSE' || e instanceof SyntaxError) return new WecomHttpError(200, 'EBADJSON', name);
  return new WecomHttpError(null, code ?? 'EUNKNOWN', name);
}

function splitIds(v: unknown): string[] {
  if (typeof v !== 'string' || v.trim() === '') return [];
  return v
    .split('|')
    .map((s) => s.trim())
    .filter(Boolean);
}
