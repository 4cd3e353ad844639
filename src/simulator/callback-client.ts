/**
 * Sends WeCom-style callbacks (signed and encrypted like WeCom does) to a callback URL: the
 * simulator's page actions and the tests use it, so both exercise the production path.
 */
import crypto from 'node:crypto';
import axios from 'axios';
import type { WecomCredentials } from '../config';
import { encryptMessage } from '../wecom/callback/cipher';
import { buildXml } from '../wecom/callback/envelope';
import { sign } from '../wecom/callback/signature';

export interface SignedCallback {
  query: { msg_signature: string; timestamp: string; nonce: string };
  body: string;
}

/** Builds the outer envelope and query of a POST callback carrying `innerXml`. */
export function buildCallback(creds: WecomCredentials, innerXml: string, timestampS: number): SignedCallback {
  const encrypt = encryptMessage(creds.encodingAesKey, innerXml, creds.corpId);
  const timestamp = String(timestampS);
  const nonce = String(crypto.randomInt(100_000_000, 999_999_999));
  const body = buildXml({ ToUserName: creds.corpId, AgentID: String(creds.agentId), Encrypt: encrypt });
  return { query: { msg_signature: sign(creds.token, timestamp, nonce, encrypt), timestamp, nonce }, body };
}

export function randomMsgId(): string {
  // WeCom's MsgId is a 64-bit number; keep it a string.
  return (BigInt('0x' + crypto.randomBytes(8).toString('hex')) >> 1n).toString();
}

export interface UserAction {
  fromUserid: string;
  createTimeS: number;
  kind: 'text' | 'image' | 'card_click' | 'enter_agent';
  content?: string;
  mediaId?: string;
  picUrl?: string;
  eventKey?: string;
  taskId?: string;
  responseCode?: string;
  msgId?: string;
}

export function actionXml(creds: WecomCredentials, a: UserAction): string {
  const common = {
    ToUserName: creds.corpId,
    FromUserName: a.fromUserid,
    CreateTime: a.createTimeS,
  };
  switch (a.kind) {
    case 'text':
      return buildXml({ ...common, MsgType: 'text', Content: a.content ?? '', MsgId: a.msgId ?? randomMsgId(), AgentID: creds.agentId });
    case 'image':
      return buildXml({ ...common, MsgType: 'image', PicUrl: a.picUrl ?? '', MediaId: a.mediaId ?? '', MsgId: a.msgId ?? randomMsgId(), AgentID: creds.agentId });
    case 'card_click':
      return buildXml({
        ...common,
        MsgType: 'event',
        Event: 'template_card_event',
        EventKey: a.eventKey ?? '',
        TaskId: a.taskId ?? '',
        CardType: 'button_interaction',
        ResponseCode: a.responseCode ?? '',
        AgentID: creds.agentId,
      });
    case 'enter_agent':
      return buildXml({ ...common, MsgType: 'event', Event: 'enter_agent', EventKey: '', AgentID: creds.agentId });
  }
}

/** POSTs a user action to the callback URL; returns the HTTP status. */
export async function postAction(url: string, creds: WecomCredentials, a: UserAction, timestampS = a.createTimeS): Promise<number> {
  const cb = buildCallback(creds, actionXml(creds, a), timestampS);
  const res = await axios.post(url, cb.body, {
    params: cb.query,
    headers: { 'Content-Type': 'text/xml' },
    validateStatus: () => true,
    timeout: 5000,
    proxy: false,
  });
  return res.status;
}
