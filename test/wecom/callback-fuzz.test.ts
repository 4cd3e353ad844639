/**
 * Fuzz of POST/GET /wecom/callback, bounded and deterministic (seeded): random bytes,
 * truncated bodies, valid ciphertext re-signed with a wrong token, a correct signature over
 * tampered ciphertext, stale and future timestamps, odd content types and charsets, huge bodies,
 * XML entity tricks (DOCTYPE, billion laughs, external and parameter entities, undeclared
 * entities) in the outer envelope and inside a properly encrypted and signed payload, GET
 * verifications with good, re-signed, tampered and junk echostr, and valid messages delivered
 * again and again in between.
 *
 * Asserts: no 5xx and no dropped connection for any case; every forged or malformed case refused
 * (4xx) and nothing stored for it; each valid message stored once however often it was
 * delivered, and processed once; the server still answers afterwards; the heap, after GC, does
 * not grow with the number of cases.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import axios from 'axios';
import { ManualClock } from '../../src/clock';
import { createContext, type AppContext } from '../../src/app/context';
import { ChatRouter } from '../../src/chat/router';
import { InboundProcessor } from '../../src/wecom/inbound-processor';
import { KnexContactDirectory } from '../../src/domain/outbox/contacts';
import { createHttpApp, finishHttpApp } from '../../src/http/server';
import { actionXml, buildCallback, type SignedCallback } from '../../src/simulator/callback-client';
import { encryptMessage } from '../../src/wecom/callback/cipher';
import { buildXml, MAX_XML_BYTES } from '../../src/wecom/callback/envelope';
import { createCallbackRouter } from '../../src/wecom/callback/route';
import { sign } from '../../src/wecom/callback/signature';
import { simulatorCredentials } from '../../src/wecom/credentials';
import { testConfig } from '../support/config';
import { describeEachDb } from '../support/db';
import { collectGarbage, heapUsedMb, Rng } from '../support/fuzz';

const SEED = 0x5eed_0009;
const CASES = 2_000;
/** Allowed heap growth (MB) between the warm-up and the end, measured after a full GC. */
const HEAP_GROWTH_LIMIT_MB = 30;
/** Without a GC the figure is noisy: a loose bound only. */
const HEAP_GROWTH_LIMIT_NO_GC_MB = 100;

const ENTITY_TRICKS = [
  // Billion laughs.
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml>%BODY%<Content>&lol3;</Content></xml>',
  // External entities: a file and a URL.
  '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml>%BODY%<Content>&xxe;</Content></xml>',
  '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]><xml>%BODY%<Content>&xxe;</Content></xml>',
  // Parameter entities and an external DTD.
  '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]><xml>%BODY%</xml>',
  '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd"><xml>%BODY%</xml>',
  // An undeclared entity, a declaration without DOCTYPE, lowercase doctype.
  '<xml>%BODY%<Content>&xxe;</Content></xml>',
  '<!ENTITY a "b"><xml>%BODY%</xml>',
  '<!doctype xml><xml>%BODY%</xml>',
  // Quadratic blow-up: one big entity used many times.
  `<!DOCTYPE xml [<!ENTITY a "${'a'.repeat(5000)}">]><xml>%BODY%<Content>${'&a;'.repeat(1000)}</Content></xml>`,
];

describeEachDb('callback fuzz', (get) => {
  let ctx: AppContext;
  let server: Server;
  let url: string;
  const clock = new ManualClock('2026-11-25T02:00:00Z');
  const creds = simulatorCredentials();
  const http = axios.create({
    validateStatus: () => true,
    proxy: false,
    timeout: 10_000,
    maxBodyLength: Infinity,
    maxContentLength: 1024 * 1024,
    transformResponse: (d) => d,
  });

  beforeEach(async () => {
    ctx = await createContext(testConfig(), { db: get().db, clock, migrate: false });
    const app = createHttpApp(ctx, { ready: true });
    app.use(createCallbackRouter({ credentials: creds, maxAgeS: 300, clock, logger: ctx.logger, inbound: ctx.inbound }));
    finishHttpApp(app, ctx);
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/callback`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it(`${CASES} seeded cases: no forgery stored, no 5xx, valid messages stored and processed once, heap flat`, async () => {
    const rng = new Rng(SEED);
    const nowS = () => Math.floor(clock.now().getTime() / 1000);
    let msgSeq = 0;
    const newMsgId = () => String(7_400_000_000_000_000_000n + BigInt(++msgSeq));
    const inner = (msgId: string, extra = '') =>
      actionXml(creds, { fromUserid: `user${msgId.slice(-2)}`, kind: 'text', content: `整改完成 ${msgId}${extra}`, msgId, createTimeS: nowS() });

    /** Valid messages: delivered first once, then again at random (WeCom's retries, replays). */
    const valid: { msgId: string; xml: string; first: SignedCallback }[] = [];
    const counts = { valid: 0, replay: 0, forged: 0, huge: 0 };
    const byCategory: Record<string, number> = {};
    const failures: string[] = [];

    const send = async (
      category: string,
      body: string | Buffer,
      query: Record<string, string>,
      expect: 'accept' | 'refuse',
      headers: Record<string, string> = { 'Content-Type': 'text/xml' },
    ) => {
      byCategory[category] = (byCategory[category] ?? 0) + 1;
      let status: number;
      try {
        status = (await http.post(url, body, { params: query, headers })).status;
      } catch (e) {
        failures.push(`${category}: no answer (${(e as Error).message})`);
        return;
      }
      if (status >= 500) failures.push(`${category}: ${status}`);
      else if (expect === 'accept' && status !== 200) failures.push(`${category}: valid message got ${status}`);
      else if (expect === 'refuse' && (status < 400 || status >= 500)) failures.push(`${category}: forged or malformed got ${status}`);
    };

    const signedQuery = (encrypt: string, token = creds.token, ts = String(nowS())) => {
      const nonce = String(rng.int(1, 999_999_999));
      return { msg_signature: sign(token, ts, nonce, encrypt), timestamp: ts, nonce };
    };
    const envelope = (encrypt: string) => buildXml({ ToUserName: creds.corpId, AgentID: String(creds.agentId), Encrypt: encrypt });

    const oneCase = async () => {
      const r = rng.next();
      if (r < 0.08 || valid.length === 0) {
        // A new valid message.
        const msgId = newMsgId();
        const xml = inner(msgId);
        const cb = buildCallback(creds, xml, nowS());
        valid.push({ msgId, xml, first: cb });
        counts.valid++;
        return send('valid', cb.body, cb.query, 'accept');
      }
      if (r < 0.2) {
        // A replay: the very same request, or WeCom's retry with a new nonce and signature.
        const v = rng.pick(valid);
        counts.replay++;
        const cb = rng.chance(0.5) ? v.first : buildCallback(creds, v.xml, nowS());
        return send('replay', cb.body, cb.query, 'accept');
      }
      counts.forged++;
      const msgId = newMsgId(); // never stored: any row with it is an accepted forgery
      const good = buildCallback(creds, inner(msgId), nowS());
      const encrypt = /<Encrypt><!\[CDATA\[(.*?)\]\]><\/Encrypt>/.exec(good.body)![1];
      if (r < 0.3) {
        const body = rng.chance(0.5) ? rng.bytes(rng.int(0, 4096)) : rng.bytes(rng.int(0, 64)).toString('latin1');
        const query = rng.chance(0.5) ? good.query : { msg_signature: rng.bytes(20).toString('hex'), timestamp: String(nowS()), nonce: '1' };
        return send('random bytes', body, query, 'refuse');
      }
      if (r < 0.38) {
        const cut = rng.int(0, good.body.length - 1);
        return send('truncated', good.body.slice(0, cut), good.query, 'refuse');
      }
      if (r < 0.46) {
        return send('re-signed with a wrong token', good.body, signedQuery(encrypt, `${creds.token}x`), 'refuse');
      }
      if (r < 0.58) {
        // Tampered ciphertext, signed correctly (an attacker who knows the token, not the key).
        const bytes = Buffer.from(encrypt, 'base64');
        const flips = rng.int(1, 4);
        for (let i = 0; i < flips; i++) bytes[rng.int(0, bytes.length - 1)] ^= rng.int(1, 255);
        const tampered = rng.chance(0.2) ? bytes.subarray(0, bytes.length - 32 * rng.int(1, 2)).toString('base64') : bytes.toString('base64');
        if (tampered === encrypt) return;
        return send('tampered ciphertext', envelope(tampered), signedQuery(tampered), 'refuse');
      }
      if (r < 0.66) {
        const age = rng.pick([301, 600, 3_600, 86_400 * 400]) * (rng.chance(0.8) ? -1 : 1);
        const stale = buildCallback(creds, inner(msgId), nowS() + age);
        return send('stale or future timestamp', stale.body, stale.query, 'refuse');
      }
      if (r < 0.74) {
        const trick = rng.pick(ENTITY_TRICKS);
        if (rng.chance(0.5)) {
          // In the outer envelope, signed over its Encrypt where there is one.
          const body = trick.replace('%BODY%', `<ToUserName>${creds.corpId}</ToUserName><Encrypt>${encrypt}</Encrypt>`);
          return send('entity trick (envelope)', body, good.query, 'refuse');
        }
        // Inside a properly encrypted and signed payload.
        const payload = trick.replace(
          '%BODY%',
          `<ToUserName>${creds.corpId}</ToUserName><FromUserName>evil</FromUserName><CreateTime>${nowS()}</CreateTime><MsgType>text</MsgType><MsgId>${msgId}</MsgId>`,
        );
        const enc = encryptMessage(creds.encodingAesKey, payload, creds.corpId);
        return send('entity trick (payload)', envelope(enc), signedQuery(enc), 'refuse');
      }
      if (r < 0.8) {
        // Well-formed crypto around things that are not a message.
        const payload = rng.pick([
          '',
          'hello',
          '<xml></xml>',
          '<xml><MsgType>text</MsgType></xml>',
          `<xml><FromUserName><a>b</a></FromUserName><MsgType>text</MsgType></xml>`,
          `<xml><FromUserName>u</FromUserName><MsgType>text</MsgType>`,
          rng.bytes(rng.int(1, 300)).toString('latin1'),
        ]);
        const enc = encryptMessage(creds.encodingAesKey, payload, creds.corpId);
        return send('not a message', envelope(enc), signedQuery(enc), 'refuse');
      }
      if (r < 0.85) {
        // Encrypted for another corp, or with another key.
        const other = rng.chance(0.5) ? { ...creds, corpId: 'wwattacker' } : { ...creds, encodingAesKey: simulatorCredentials().encodingAesKey };
        const cb = buildCallback(other, inner(msgId), nowS());
        return send('wrong corp or key', cb.body, cb.query, 'refuse');
      }
      if (r < 0.89) {
        // GET (URL verification): a correct echostr is answered with its plaintext, anything else refused.
        byCategory['GET'] = (byCategory['GET'] ?? 0) + 1;
        const plain = String(rng.int(1, 2 ** 31));
        const echostr = encryptMessage(creds.encodingAesKey, plain, creds.corpId);
        const variant = rng.int(0, 3);
        let q: Record<string, string>;
        if (variant === 0) q = { ...signedQuery(echostr), echostr };
        else if (variant === 1) q = { ...signedQuery(echostr, 'wrong-token'), echostr };
        else if (variant === 2) {
          const b = Buffer.from(echostr, 'base64');
          b[rng.int(0, b.length - 1)] ^= rng.int(1, 255);
          const tampered = b.toString('base64');
          q = { ...signedQuery(tampered), echostr: tampered };
        } else {
          const junk = rng.bytes(rng.int(0, 200)).toString(rng.pick(['base64', 'hex', 'latin1'] as const));
          q = { ...signedQuery(junk), echostr: junk };
        }
        let res;
        try {
          res = await http.get(url, { params: q });
        } catch (e) {
          failures.push(`GET: no answer (${(e as Error).message})`);
          return;
        }
        if (variant === 0 && (res.status !== 200 || res.data !== plain)) failures.push(`GET: valid echostr got ${res.status}`);
        // A changed first block only flips bits of the length and the echostr's first bytes (CBC):
        // such a GET may decrypt to another string. It stores nothing; it must just not fail.
        if (variant !== 0 && (res.status < 400 || res.status >= 500) && !(variant === 2 && res.status === 200)) {
          failures.push(`GET variant ${variant}: ${res.status}`);
        }
        return;
      }
      if (r < 0.92) {
        // Parameters missing, doubled, overlong; odd content types and charsets.
        const q = { ...good.query } as Record<string, string>;
        const variant = rng.int(0, 3);
        if (variant === 0) delete q[rng.pick(['msg_signature', 'timestamp', 'nonce'])];
        if (variant === 1) q.timestamp = rng.pick(['', 'abc', '-1', '1e10', '99999999999999', ' 1']);
        if (variant === 2) q.msg_signature = q.msg_signature.toUpperCase().slice(0, rng.int(0, 39));
        if (variant === 3) q.nonce = 'n'.repeat(5000);
        const ct = rng.pick(['text/xml; charset=utf-16', 'text/xml; charset=klingon', 'application/json', 'multipart/form-data; boundary=x']);
        return send('bad parameters or content type', good.body, q, 'refuse', { 'Content-Type': ct });
      }
      // Bigger than the limit (64 KB): mostly just above it, sometimes far above.
      counts.huge++;
      const size = rng.chance(0.92) ? MAX_XML_BYTES + rng.int(1, 4096) : rng.pick([1, 4, 16]) * 1024 * 1024;
      if (rng.chance(0.15)) {
        // Without Content-Length (chunked): the limit must hold while reading, not only up front.
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        let sent = 0;
        const stream = new Readable({
          read() {
            if (sent >= size) return void this.push(null);
            sent += chunk.length;
            this.push(chunk);
          },
        });
        return send('huge body (chunked)', stream as unknown as Buffer, good.query, 'refuse');
      }
      const body = `<xml><Encrypt>${'A'.repeat(size)}</Encrypt></xml>`;
      return send('huge body', body, good.query, 'refuse');
    };

    // Warm-up: JIT, pools, the first connections.
    const warmUp = 200;
    for (let i = 0; i < warmUp; i++) await oneCase();
    const hasGc = collectGarbage();
    const heapBefore = heapUsedMb();
    for (let i = warmUp; i < CASES; i++) {
      await oneCase();
      if (i % 50 === 0) clock.advance(1_000);
    }
    collectGarbage();
    const heapGrowth = heapUsedMb() - heapBefore;

    expect(failures.slice(0, 10)).toEqual([]);
    expect(counts.valid + counts.replay + counts.forged).toBe(CASES);
    // Every category was exercised.
    for (const c of ['random bytes', 'truncated', 're-signed with a wrong token', 'tampered ciphertext', 'stale or future timestamp', 'entity trick (envelope)', 'entity trick (payload)', 'not a message', 'wrong corp or key', 'bad parameters or content type', 'huge body', 'huge body (chunked)', 'replay', 'GET']) {
      expect(byCategory[c] ?? 0).toBeGreaterThan(5);
    }

    // Stored: exactly the valid messages, once each.
    const rows = await get().db('inbound_messages').select('msg_id');
    expect(rows.map((x: { msg_id: string }) => x.msg_id).sort()).toEqual(valid.map((v) => v.msgId).sort());
    expect(await ctx.events.list({ type: 'message.in.received' })).toHaveLength(valid.length);

    // Processed once each.
    const seen = new Map<string, number>();
    const router = new ChatRouter().fallback(async (m) => void seen.set(m.msgId!, (seen.get(m.msgId!) ?? 0) + 1));
    const processor = new InboundProcessor(ctx.inbound, router, ctx.outbox, new KnexContactDirectory(get().db), null, ctx.events, clock, ctx.logger);
    while ((await processor.runOnce()) > 0);
    expect([...seen.keys()].sort()).toEqual(valid.map((v) => v.msgId).sort());
    expect([...seen.values()].every((n) => n === 1)).toBe(true);

    // Still answering, and still accepting.
    expect((await http.get(url.replace('/wecom/callback', '/healthz'))).status).toBe(200);
    const last = buildCallback(creds, inner(newMsgId()), nowS());
    expect((await http.post(url, last.body, { params: last.query, headers: { 'Content-Type': 'text/xml' } })).status).toBe(200);

    expect(heapGrowth).toBeLessThan(hasGc ? HEAP_GROWTH_LIMIT_MB : HEAP_GROWTH_LIMIT_NO_GC_MB);
    if (process.env.FUZZ_REPORT) {
      console.log(JSON.stringify({ seed: SEED, cases: CASES, counts, byCategory, heapBefore, heapGrowth, hasGc }));
    }
  }, 120_000); // the budget is the case count; this only bounds a slow, loaded machine
});
