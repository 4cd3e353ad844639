/**
 * Layer 3 of the callback: XML, parsed safely (no DOCTYPE, no entities, size-limited, values kept
 * as strings so a 64-bit MsgId survives), and the typed inbound message.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

export const MAX_XML_BYTES = 64 * 1024;

export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // CDATA kept apart: its text is literal, only plain text gets its entities decoded.
  cdataPropName: '__cdata',
});

function fieldText(v: unknown): string | null {
  if (typeof v === 'string' || typeof v === 'number') return decodeBasicEntities(String(v));
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (!keys.every((k) => k === '__cdata' || k === '#text')) return null; // a nested element
  const cdata = Array.isArray(o.__cdata) ? o.__cdata.map(String).join('') : o.__cdata === undefined ? '' : String(o.__cdata);
  const text = o['#text'] === undefined ? '' : decodeBasicEntities(String(o['#text']));
  return text + cdata;
}

const CDATA = /<!\[CDATA\[[\s\S]*?\]\]>/g;
const DECLARATION = /<!DOCTYPE|<!ENTITY|<!ELEMENT|<!ATTLIST/i;

export interface XmlFieldOptions {
  /**
   * Look for DOCTYPE and entity declarations outside CDATA only. For the decrypted message,
   * whose text (in CDATA) is what a user typed: "<!DOCTYPE html>" pasted from a web page is text,
   * and refusing it would lose the message after WeCom's retries. The outer envelope, parsed
   * before its signature is checked, allows no declaration anywhere.
   */
  declarationsInCdata?: boolean;
}

/** Parses a flat `<xml>…</xml>` document into its string fields. */
export function parseXmlFields(xml: string, options: XmlFieldOptions = {}): Record<string, string> {
  if (Buffer.byteLength(xml, 'utf8') > MAX_XML_BYTES) throw new EnvelopeError('xml too large');
  const outsideCdata = xml.replace(CDATA, '');
  if (DECLARATION.test(options.declarationsInCdata ? outsideCdata : xml)) throw new EnvelopeError('xml declarations are not allowed');
  if (/&(?!(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});)/.test(outsideCdata)) {
    throw new EnvelopeError('xml has an unknown entity');
  }
  if (XMLValidator.validate(xml) !== true) throw new EnvelopeError('xml is not well-formed');
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch {
    throw new EnvelopeError('xml is not well-formed');
  }
  const root = (doc as Record<string, unknown>)?.xml;
  if (!root || typeof root !== 'object' || Array.isArray(root)) throw new EnvelopeError('xml has no <xml> root');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(root as Record<string, unknown>)) {
    const t = fieldText(v);
    if (t !== null) out[k] = t; // nested structures and repeated elements are ignored
  }
  return out;
}

function decodeBasicEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (_m, e: string) => {
    switch (e) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const cp = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
      }
    }
  });
}

/** The outer POST body: `<xml><ToUserName/><AgentID/><Encrypt/></xml>`. */
export function parseOuterEnvelope(xml: string): { toUserName: string | null; agentId: string | null; encrypt: string } {
  const f = parseXmlFields(xml);
  if (!f.Encrypt) throw new EnvelopeError('envelope has no Encrypt');
  return { toUserName: f.ToUserName ?? null, agentId: f.AgentID ?? null, encrypt: f.Encrypt };
}

export interface InboundFields {
  toUserName: string | null;
  fromUserName: string;
  createTime: number | null;
  msgType: string;
  content: string | null;
  picUrl: string | null;
  mediaId: string | null;
  msgId: string | null;
  agentId: string | null;
  event: string | null;
  eventKey: string | null;
  taskId: string | null;
  responseCode: string | null;
}

/** The decrypted message. */
export function parseInbound(xml: string): InboundFields {
  const f = parseXmlFields(xml, { declarationsInCdata: true });
  if (!f.FromUserName) throw new EnvelopeError('message has no FromUserName');
  if (!f.MsgType) throw new EnvelopeError('message has no MsgType');
  const ct = f.CreateTime && /^\d{1,12}$/.test(f.CreateTime) ? Number(f.CreateTime) : null;
  return {
    toUserName: f.ToUserName ?? null,
    fromUserName: f.FromUserName,
    createTime: ct,
    msgType: f.MsgType,
    content: f.Content ?? null,
    picUrl: f.PicUrl ?? null,
    mediaId: f.MediaId ?? null,
    msgId: f.MsgId ?? null,
    agentId: f.AgentID ?? null,
    event: f.Event ?? null,
    eventKey: f.EventKey ?? null,
    taskId: f.TaskId ?? null,
    responseCode: f.ResponseCode ?? null,
  };
}

/** The dedupe key: MsgId, or for events sender + time + event + key. */
export function dedupeKey(m: InboundFields): string {
  if (m.msgId) return `msg:${m.msgId}`;
  return `evt:${m.fromUserName}:${m.createTime ?? ''}:${m.event ?? m.msgType}:${m.eventKey ?? ''}:${m.taskId ?? ''}`;
}

const builder = new XMLBuilder({ cdataPropName: '__cdata', format: false, suppressEmptyNode: false });

/** Builds a flat `<xml>` document with CDATA values (the simulator and tests use it). */
export function buildXml(fields: Record<string, string | number | null | undefined>): string {
  const xml: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === null || v === undefined) continue;
    xml[k] = typeof v === 'number' ? v : { __cdata: v };
  }
  return builder.build({ xml });
}
