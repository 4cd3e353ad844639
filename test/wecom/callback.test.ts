import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import express from 'express';
import { ManualClock } from '../../src/clock';
import type { WecomCredentials } from '../../src/config';
import { KnexEventLog } from '../../src/domain/events/events';
import { KnexInboundStore } from '../../src/domain/inbound/store';
import { silentLogger } from '../../src/logger';
import { buildCallback, actionXml } from '../../src/simulator/callback-client';
import { CipherError, decryptMessage, encryptMessage } from '../../src/wecom/callback/cipher';
import { buildXml, dedupeKey, EnvelopeError, parseInbound, parseOuterEnvelope } from '../../src/wecom/callback/envelope';
import { createCallbackRouter } from '../../src/wecom/callback/route';
import { sign, timestampFresh, verifySignature } from '../../src/wecom/callback/signature';
import { simulatorCredentials } from '../../src/wecom/credentials';
import { describeEachDb } from '../support/db';

/** The official vector of WeCom's sample code (see /work/shared/wecom.md). */
const OFFICIAL = {
  token: 'QDG6eK',
  encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  corpId: 'wx5823bf96d3bd56c7',
  msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  answer: '1616140317555161061',
};

describe('callback layers', () => {
  it('verifies the official signature and rejects a changed one', () => {
    const { token, timestamp, nonce, echostr, msg_signature } = OFFICIAL;
    expect(verifySignature(token, timestamp, nonce, echostr, msg_signature)).toBe(true);
    expect(verifySignature(token, timestamp, nonce, echostr, msg_signature.toUpperCase())).toBe(true);
    expect(verifySignature(token, timestamp, nonce, echostr, msg_signature.replace(/^5/, '6'))).toBe(false);
    expect(verifySignature(token, timestamp, nonce, echostr, 'short')).toBe(false);
    expect(verifySignature('other', timestamp, nonce, echostr, msg_signature)).toBe(false);
  });

  it('decrypts the official echostr and checks the receiver', () => {
    expect(decryptMessage(OFFICIAL.encodingAesKey, OFFICIAL.echostr, OFFICIAL.corpId)).toBe(OFFICIAL.answer);
    expect(() => decryptMessage(OFFICIAL.encodingAesKey, OFFICIAL.echostr, 'wwsomebodyelse')).toThrow(CipherError);
  });

  it('rejects garbage ciphertext without crashing', () => {
    const key = OFFICIAL.encodingAesKey;
    for (const bad of ['', 'not base64!!', 'QUJD', Buffer.alloc(48, 7).toString('base64'), Buffer.alloc(64, 1).toString('base64')]) {
      expect(() => decryptMessage(key, bad, OFFICIAL.corpId)).toThrow(CipherError);
    }
  });

  it('refuses ciphertext with a changed block even though length and receiveid survive (CBC has no MAC)', () => {
    const creds = simulatorCredentials();
    const xml = buildXml({ FromUserName: 'zhangsan', MsgType: 'text', Content: `已整改，请复核${'。'.repeat(40)}`, MsgId: '1' });
    const enc = Buffer.from(encryptMessage(creds.encodingAesKey, xml, creds.corpId), 'base64');
    // Plaintext block 8 lies inside the Content's CDATA: changing ciphertext block 8 turns it into
    // random bytes and flips bits in block 9; the length and receiveid are intact.
    let refused = 0;
    for (let v = 1; v < 256; v++) {
      const b = Buffer.from(enc);
      b[16 * 8 + 3] ^= v;
      try {
        decryptMessage(creds.encodingAesKey, b.toString('base64'), creds.corpId);
      } catch (e) {
        expect(e).toBeInstanceOf(CipherError);
        refused += 1;
      }
    }
    expect(refused).toBe(255);
  });

  it('round-trips a message it encrypts itself, with Chinese text', () => {
    const creds = simulatorCredentials();
    const xml = buildXml({ FromUserName: 'zhangsan', MsgType: 'text', Content: '已整改，请复核 <ok> & 完成' });
    const enc = encryptMessage(creds.encodingAesKey, xml, creds.corpId);
    const plain = decryptMessage(creds.encodingAesKey, enc, creds.corpId);
    expect(parseInbound(plain).content).toBe('已整改，请复核 <ok> & 完成');
  });

  it('keeps a 64-bit MsgId exact and derives dedupe keys', () => {
    const m = parseInbound(buildXml({ FromUserName: 'u1', MsgType: 'text', Content: 'x', MsgId: '7394882849390218257', CreateTime: 1700000000 }));
    expect(m.msgId).toBe('7394882849390218257');
    expect(m.createTime).toBe(1700000000);
    expect(dedupeKey(m)).toBe('msg:7394882849390218257');
    const e = parseInbound(
      buildXml({ FromUserName: 'u1', MsgType: 'event', Event: 'template_card_event', EventKey: 'accept:12', TaskId: 't1', CreateTime: 1700000001 }),
    );
    expect(dedupeKey(e)).toBe('evt:u1:1700000001:template_card_event:accept:12:t1');
  });

  it('refuses DOCTYPE, entities, malformed and oversized XML', () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>';
    expect(() => parseOuterEnvelope(bomb)).toThrow(EnvelopeError);
    expect(() => parseOuterEnvelope('<xml><Encrypt>&xxe;</Encrypt></xml>')).toThrow(EnvelopeError);
    expect(() => parseOuterEnvelope('<xml><Encrypt>abc</Encrypt>')).toThrow(EnvelopeError);
    expect(() => parseOuterEnvelope('<xml><ToUserName>a</ToUserName></xml>')).toThrow(EnvelopeError);
    expect(() => parseOuterEnvelope(`<xml><Encrypt>${'A'.repeat(70_000)}</Encrypt></xml>`)).toThrow(EnvelopeError);
    expect(parseOuterEnvelope('<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>').encrypt).toBe('abc');
    // CDATA is literal; plain text has its predefined entities decoded.
    const m = parseInbound('<xml><FromUserName>a&amp;b</FromUserName><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[x &amp; <y>]]></Content></xml>');
    expect(m).toMatchObject({ fromUserName: 'a&b', msgType: 'text', content: 'x &amp; <y>' });
  });

  it('keeps a pasted "<!DOCTYPE html>" in a message text, refuses declarations outside CDATA and in the envelope', () => {
    const html = '<!DOCTYPE html><html><!ENTITY x "y"><body>首页 &nbsp; 已整改</body></html>';
    const m = parseInbound(buildXml({ FromUserName: 'zhangsan', MsgType: 'text', Content: html, MsgId: '9' }));
    expect(m.content).toBe(html);
    expect(() => parseInbound(`<!DOCTYPE xml><xml><FromUserName>a</FromUserName><MsgType>text</MsgType></xml>`)).toThrow(EnvelopeError);
    expect(() =>
      parseInbound('<!-- <![CDATA[ --><!DOCTYPE x [<!ENTITY e "z">]><!-- ]]> --><xml><FromUserName>a</FromUserName><MsgType>text</MsgType><Content>&e;</Content></xml>'),
    ).toThrow(EnvelopeError);
    expect(() => parseOuterEnvelope(`<xml><Encrypt><![CDATA[<!DOCTYPE html>]]></Encrypt></xml>`)).toThrow(EnvelopeError);
  });

  it('applies the replay window, and 0 turns it off', () => {
    const now = Date.parse('2026-11-23T08:00:00Z');
    const s = (ms: number) => String(Math.floor(ms / 1000));
    expect(timestampFresh(s(now - 299_000), now, 300)).toBe(true);
    expect(timestampFresh(s(now - 301_000), now, 300)).toBe(false);
    expect(timestampFresh(s(now + 301_000), now, 300)).toBe(false);
    expect(timestampFresh('1409659589', now, 0)).toBe(true);
    expect(timestampFresh('abc', now, 300)).toBe(false);
  });
});

describeEachDb('callback route', (get) => {
  let server: Server | null = null;
  let url = '';
  const clock = new ManualClock('2026-11-23T08:00:00Z');
  let store: KnexInboundStore;

  async function serve(creds: WecomCredentials, maxAgeS = 300): Promise<void> {
    store = new KnexInboundStore(get().db, new KnexEventLog(get().db));
    const app = express();
    app.use(createCallbackRouter({ credentials: creds, maxAgeS, clock, logger: silentLogger, inbound: store }));
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}/wecom/callback`;
  }

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
  });

  const post = (body: string, params: Record<string, string>) =>
    axios.post(url, body, { params, headers: { 'Content-Type': 'text/xml' }, validateStatus: () => true, proxy: false });
  const nowS = () => Math.floor(clock.now().getTime() / 1000);
  const storedCount = async () => Number((await get().db('inbound_messages').count({ n: '*' }))[0].n);

  it('answers the official GET vector with the bare plaintext', async () => {
    await serve({ corpId: OFFICIAL.corpId, agentId: 1, secret: 's', token: OFFICIAL.token, encodingAesKey: OFFICIAL.encodingAesKey }, 0);
    const res = await axios.get(url, {
      params: { msg_signature: OFFICIAL.msg_signature, timestamp: OFFICIAL.timestamp, nonce: OFFICIAL.nonce, echostr: OFFICIAL.echostr },
      validateStatus: () => true,
      responseType: 'text',
      proxy: false,
    });
    expect(res.status).toBe(200);
    expect(res.data).toBe(OFFICIAL.answer);
    // With the replay window on, the 2014 vector is stale.
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    await serve({ corpId: OFFICIAL.corpId, agentId: 1, secret: 's', token: OFFICIAL.token, encodingAesKey: OFFICIAL.encodingAesKey }, 300);
    const stale = await axios.get(url, {
      params: { msg_signature: OFFICIAL.msg_signature, timestamp: OFFICIAL.timestamp, nonce: OFFICIAL.nonce, echostr: OFFICIAL.echostr },
      validateStatus: () => true,
      proxy: false,
    });
    expect(stale.status).toBe(403);
  });

  it('GET with a bad signature gets 401', async () => {
    await serve({ corpId: OFFICIAL.corpId, agentId: 1, secret: 's', token: OFFICIAL.token, encodingAesKey: OFFICIAL.encodingAesKey }, 0);
    const res = await axios.get(url, {
      params: { msg_signature: 'a'.repeat(40), timestamp: OFFICIAL.timestamp, nonce: OFFICIAL.nonce, echostr: OFFICIAL.echostr },
      validateStatus: () => true,
      proxy: false,
    });
    expect(res.status).toBe(401);
    expect(JSON.stringify(res.data)).not.toContain(OFFICIAL.answer);
  });

  it('stores a POST once; a duplicate delivery is acknowledged and not stored again', async () => {
    const creds = simulatorCredentials();
    await serve(creds);
    const inner = actionXml(creds, { fromUserid: 'lisi', kind: 'text', content: '收到', msgId: '1234567890123456789', createTimeS: nowS() });
    const cb = buildCallback(creds, inner, nowS());
    const first = await post(cb.body, cb.query);
    expect(first.status).toBe(200);
    expect(first.data).toBe('');
    // WeCom retries with a new nonce and signature but the same message.
    const again = buildCallback(creds, inner, nowS());
    expect((await post(again.body, again.query)).status).toBe(200);
    expect((await post(cb.body, cb.query)).status).toBe(200);
    const rows = await store.list();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ fromUserName: 'lisi', msgType: 'text', content: '收到', msgId: '1234567890123456789', state: 'pending' });
    const events = await new KnexEventLog(get().db).list({ type: 'message.in.received' });
    expect(events).toHaveLength(1);
  });

  it('dedupes card events by sender, time, event and key', async () => {
    const creds = simulatorCredentials();
    await serve(creds);
    const click = (key: string) =>
      actionXml(creds, { fromUserid: 'wangwu', kind: 'card_click', eventKey: key, taskId: 'wo_1', responseCode: 'rc', createTimeS: nowS() });
    for (const xml of [click('accept'), click('accept'), click('reject')]) {
      const cb = buildCallback(creds, xml, nowS());
      expect((await post(cb.body, cb.query)).status).toBe(200);
    }
    expect((await store.list()).map((r) => r.eventKey)).toEqual(['accept', 'reject']);
  });

  it('refuses forged, stale and malformed callbacks and stores nothing', async () => {
    const creds = simulatorCredentials();
    await serve(creds);
    const inner = actionXml(creds, { fromUserid: 'lisi', kind: 'text', content: 'x', createTimeS: nowS() });
    const good = buildCallback(creds, inner, nowS());

    // Bad signature.
    expect((await post(good.body, { ...good.query, msg_signature: '0'.repeat(40) })).status).toBe(401);
    // Missing parameters.
    expect((await post(good.body, { timestamp: good.query.timestamp, nonce: good.query.nonce })).status).toBe(400);
    // Signed with another token.
    const forged = buildCallback({ ...creds, token: 'attacker' }, inner, nowS());
    expect((await post(forged.body, forged.query)).status).toBe(401);
    // Stale timestamp (properly signed).
    const stale = buildCallback(creds, inner, nowS() - 301);
    expect((await post(stale.body, stale.query)).status).toBe(403);
    // Encrypted for another corp (same key and token): wrong receiveid.
    const otherCorp = buildCallback({ ...creds, corpId: 'wwother' }, inner, nowS());
    expect((await post(otherCorp.body, otherCorp.query)).status).toBe(403);
    // Encrypted with another key: garbage after decryption.
    const otherKey = buildCallback({ ...creds, encodingAesKey: simulatorCredentials().encodingAesKey }, inner, nowS());
    expect([400, 403]).toContain((await post(otherKey.body, otherKey.query)).status);
    // Garbage ciphertext, correctly signed.
    const ts = String(nowS());
    const garbage = 'Zm9vYmFy'.repeat(8);
    const gBody = buildXml({ ToUserName: creds.corpId, Encrypt: garbage });
    expect((await post(gBody, { msg_signature: sign(creds.token, ts, '1', garbage), timestamp: ts, nonce: '1' })).status).toBe(400);
    // Malformed outer XML; an entity trick; a huge body.
    expect((await post('<xml><Encrypt>', good.query)).status).toBe(400);
    const dtd = `<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>`;
    expect((await post(dtd, good.query)).status).toBe(400);
    expect((await post(`<xml><Encrypt>${'A'.repeat(200_000)}</Encrypt></xml>`, good.query)).status).toBe(413);
    // Valid crypto around XML that is not a message.
    const notMsg = buildCallback(creds, '<xml><MsgType>text</MsgType></xml>', nowS());
    expect((await post(notMsg.body, notMsg.query)).status).toBe(400);
    const notXml = buildCallback(creds, 'hello', nowS());
    expect((await post(notXml.body, notXml.query)).status).toBe(400);

    expect(await storedCount()).toBe(0);
    // And the good one still goes through.
    expect((await post(good.body, good.query)).status).toBe(200);
    expect(await storedCount()).toBe(1);
  });
});
