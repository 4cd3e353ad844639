import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/clock';
import { ChatRouter, match, type InboundMessage } from '../../src/chat/router';
import { KnexEventLog } from '../../src/domain/events/events';
import { InboundProcessor } from '../../src/wecom/inbound-processor';
import { KnexInboundStore } from '../../src/domain/inbound/store';
import { KnexContactDirectory } from '../../src/domain/outbox/contacts';
import { KnexOutboxStore } from '../../src/domain/outbox/store';
import { silentLogger } from '../../src/logger';
import { parseInbound } from '../../src/wecom/callback/envelope';
import { actionXml } from '../../src/simulator/callback-client';
import { MediaStore } from '../../src/wecom/media';
import { simulatorCredentials } from '../../src/wecom/credentials';
import { describeEachDb } from '../support/db';
import { makeClient, startFake, type RunningFake } from './support';

const creds = simulatorCredentials();

function msg(partial: Partial<InboundMessage>): InboundMessage {
  return {
    id: 1,
    fromUserid: 'u',
    msgType: 'text',
    content: null,
    event: null,
    eventKey: null,
    taskId: null,
    responseCode: null,
    mediaId: null,
    picUrl: null,
    msgId: null,
    createTime: null,
    receivedAt: new Date(0),
    contacts: [],
    media: null,
    ...partial,
  };
}

describe('chat router', () => {
  const noop = { reply: async () => undefined, updateCard: async () => undefined };

  it('first match wins, then the fallback', async () => {
    const seen: string[] = [];
    const r = new ChatRouter()
      .on('review', match.cardEvent('review:'), () => void seen.push('review'))
      .on('status', match.command(/^(查询|状态)\s*\S+/), () => void seen.push('status'))
      .on('help', match.command('帮助'), () => void seen.push('help'))
      .on('any-text', match.msgType('text'), () => void seen.push('text'))
      .on('enter', match.event('enter_agent'), () => void seen.push('enter'))
      .fallback(() => void seen.push('fallback'));
    expect(await r.dispatch(msg({ content: '  帮助 ' }), noop)).toBe('help');
    expect(await r.dispatch(msg({ content: '查询 WO-1' }), noop)).toBe('status');
    expect(await r.dispatch(msg({ content: '你好' }), noop)).toBe('any-text');
    expect(await r.dispatch(msg({ msgType: 'event', event: 'template_card_event', eventKey: 'review:12:accept' }), noop)).toBe('review');
    expect(await r.dispatch(msg({ msgType: 'event', event: 'template_card_event', eventKey: 'other' }), noop)).toBe('fallback');
    expect(await r.dispatch(msg({ msgType: 'event', event: 'enter_agent' }), noop)).toBe('enter');
    expect(await r.dispatch(msg({ msgType: 'image' }), noop)).toBe('fallback');
    expect(seen).toEqual(['help', 'status', 'text', 'review', 'fallback', 'enter', 'fallback']);
    expect(() => r.on('help', match.msgType('x'), () => undefined)).toThrow();
    expect(await new ChatRouter().dispatch(msg({}), noop)).toBeNull();
  });

  it('runs the middleware once per message, in order, before any route; a middleware that does not go on ends the message', async () => {
    const calls: string[] = [];
    const r = new ChatRouter()
      .use<{ who: string }>(async (m, ctx, next) => {
        calls.push(`mw1:${m.fromUserid}`);
        ctx.who = m.fromUserid.toUpperCase();
        if (m.content === 'stop') return;
        await next();
      })
      .use<{ n: number }>(async (_m, ctx, next) => {
        calls.push(`mw2:${ctx.who}`);
        ctx.n = calls.length;
        await next();
      })
      .on('text', match.msgType('text'), (_m, ctx) => void calls.push(`text:${ctx.who}:${ctx.n}`))
      .fallback((_m, ctx) => void calls.push(`fallback:${ctx.who}`));
    expect(await r.dispatch(msg({ fromUserid: 'ab', content: 'hi' }), noop)).toBe('text');
    expect(await r.dispatch(msg({ fromUserid: 'cd', msgType: 'image' }), noop)).toBe('fallback');
    expect(await r.dispatch(msg({ fromUserid: 'ef', content: 'stop' }), noop)).toBeNull();
    expect(calls).toEqual(['mw1:ab', 'mw2:AB', 'text:AB:2', 'mw1:cd', 'mw2:CD', 'fallback:CD', 'mw1:ef']);
    // Each message got its own context: the base one passed in is untouched.
    expect(noop).not.toHaveProperty('who');
  });
});

describeEachDb('inbound processing', (get) => {
  let f: RunningFake;
  let clock: ManualClock;
  let inbound: KnexInboundStore;
  let outbox: KnexOutboxStore;
  let events: KnexEventLog;
  let mediaDir: string;

  beforeEach(async () => {
    f = await startFake();
    clock = new ManualClock('2026-11-23T08:00:00Z');
    events = new KnexEventLog(get().db);
    inbound = new KnexInboundStore(get().db, events);
    outbox = new KnexOutboxStore(get().db);
    mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-media-'));
  });
  afterEach(async () => {
    await f.close();
    fs.rmSync(mediaDir, { recursive: true, force: true });
  });

  function processor(router: ChatRouter, workerId = 'w1') {
    const { client } = makeClient(f.url, clock);
    const media = new MediaStore(get().db, client, mediaDir);
    return new InboundProcessor(inbound, router, outbox, new KnexContactDirectory(get().db), media, events, clock, silentLogger, {
      workerId,
      leaseMs: 10_000,
      maxAttempts: 3,
    });
  }

  const receive = (a: Parameters<typeof actionXml>[1]) => {
    const xml = actionXml(creds, a);
    return inbound.record(parseInbound(xml), xml, clock.now());
  };

  it('stores a burst of concurrent callbacks together, once each and in arrival order', async () => {
    let kicks = 0;
    inbound.onRecord = () => void (kicks += 1);
    const texts = Array.from({ length: 30 }, (_, i) => ({ fromUserid: `u${i % 4}`, kind: 'text' as const, content: `m${i}`, msgId: String(9000 + i), createTimeS: 1 }));
    // The same MsgId three times within the burst (WeCom retrying) and one event without MsgId twice.
    const click = { fromUserid: 'u9', kind: 'card_click' as const, eventKey: 'k', taskId: 't', createTimeS: 2 };
    const all = [...texts.slice(0, 10), texts[3], click, ...texts.slice(10), texts[3], click];
    const results = await Promise.all(all.map((a) => receive(a)));
    expect(results.filter((r) => r.created)).toHaveLength(31);
    // Duplicates get the first copy's row.
    expect(results[10]).toEqual({ id: results[3].id, created: false });
    expect(results[all.length - 2]).toEqual({ id: results[3].id, created: false });
    expect(results[all.length - 1]).toEqual({ id: results[11].id, created: false });
    const rows = await inbound.list();
    expect(rows.map((r) => r.content ?? r.eventKey)).toEqual([...texts.slice(0, 10).map((t) => t.content), 'k', ...texts.slice(10).map((t) => t.content)]);
    expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => a - b));
    const received = await events.list({ type: 'message.in.received' });
    expect(received.map((e) => e.data.inboundId)).toEqual(rows.map((r) => r.id));
    expect(kicks).toBeGreaterThan(0);
    // A later delivery of a stored message is a duplicate too.
    expect(await receive(texts[0])).toEqual({ id: results[0].id, created: false });
    expect(await inbound.count()).toBe(31);
  });

  it('dispatches with the sender contacts and replies through the outbox once', async () => {
    await get().db('contacts').insert({ wecom_userid: 'lisi', name: '李四', role: 'primary', reachable: true, active: true, created_at: 0, updated_at: 0 });
    let got: InboundMessage | null = null;
    const router = new ChatRouter().on('echo', match.msgType('text'), async (m, ctx) => {
      got = m;
      await ctx.reply(`收到：${m.content}`);
      await ctx.reply({ msgtype: 'markdown', markdown: { content: '**第二条**' } });
    });
    const { id } = await receive({ fromUserid: 'lisi', kind: 'text', content: '已整改', createTimeS: 1795420800 });
    expect(await processor(router).runOnce()).toBe(1);
    expect(got!).toMatchObject({ id, fromUserid: 'lisi', content: '已整改', contacts: [{ name: '李四', role: 'primary' }] });
    const rows = await outbox.list();
    expect(rows.map((r) => [r.idempotencyKey, r.touser, r.msgtype])).toEqual([
      [`reply:${id}:1`, 'lisi', 'text'],
      [`reply:${id}:2`, 'lisi', 'markdown'],
    ]);
    expect((await inbound.get(id))!.state).toBe('done');
    expect(await events.list({ type: 'message.in.handled' })).toHaveLength(1);
  });

  it('a message reprocessed after a crash does not reply twice', async () => {
    let calls = 0;
    const router = new ChatRouter().fallback(async (_m, ctx) => {
      calls += 1;
      await ctx.reply('好的');
    });
    const { id } = await receive({ fromUserid: 'lisi', kind: 'text', content: 'x', createTimeS: 1 });
    // Worker 1 claims and replies, then dies before marking the row done.
    const claimed = (await inbound.claimNext('dead-worker', clock.now(), 10_000))!;
    await router.dispatch({ ...msg({ id: claimed.id, fromUserid: 'lisi' }) }, {
      reply: async (t) =>
        void (await outbox.enqueue({ idempotencyKey: `reply:${id}:1`, touser: 'lisi', purpose: 'reply', message: { msgtype: 'text', text: { content: String(t) } } }, clock.now())),
      updateCard: async () => undefined,
    });
    expect(await processor(router).runOnce()).toBe(0); // lease still held
    clock.advance(11_000);
    expect(await processor(router).runOnce()).toBe(1);
    expect(calls).toBe(2);
    expect(await outbox.list()).toHaveLength(1);
    expect((await inbound.get(id))!).toMatchObject({ state: 'done', attempts: 2 });
  });

  it('retries a failing handler and then marks the message failed', async () => {
    const router = new ChatRouter().fallback(() => {
      throw new Error('boom');
    });
    const { id } = await receive({ fromUserid: 'lisi', kind: 'text', content: 'x', createTimeS: 1 });
    const p = processor(router);
    for (let i = 0; i < 5; i++) {
      await p.runOnce();
      clock.advance(120_000);
    }
    expect((await inbound.get(id))!).toMatchObject({ state: 'failed', attempts: 3, error: 'boom' });
    expect(await events.list({ type: 'message.in.failed' })).toHaveLength(1);
  });

  it('downloads an image on receipt and hands the stored file to the handler', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');
    const mediaId = f.fake.putMedia(png, 'image/png', 'shot.png');
    let got: InboundMessage | null = null;
    const router = new ChatRouter().on('img', match.msgType('image'), (m) => {
      got = m;
    });
    await receive({ fromUserid: 'lisi', kind: 'image', mediaId, picUrl: 'http://x/y', createTimeS: 2 });
    await processor(router).runOnce();
    expect(got!.media).toMatchObject({ mediaId, mime: 'image/png', size: png.length });
    expect(fs.readFileSync(path.join(mediaDir, got!.media!.storagePath)).equals(png)).toBe(true);
    expect(Number((await get().db('media_files').count({ n: '*' }))[0].n)).toBe(1);
  });

  it('a card click can update the card through the outbox', async () => {
    const router = new ChatRouter().on('card', match.cardEvent('accept'), async (_m, ctx) => {
      await ctx.updateCard('已通过');
      await ctx.updateCard('已通过');
    });
    const { id } = await receive({ fromUserid: 'lisi', kind: 'card_click', eventKey: 'accept', taskId: 't', responseCode: 'RC1', createTimeS: 3 });
    await processor(router).runOnce();
    const rows = await outbox.list();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ channel: 'update_card', idempotencyKey: `card:${id}`, payload: { response_code: 'RC1', button: { replace_name: '已通过' } } });
  });

  it('keeps one sender in order: a later message waits for the earlier one', async () => {
    const order: string[] = [];
    let fail = true;
    const router = new ChatRouter().fallback((m) => {
      if (m.content === 'first' && fail) {
        fail = false;
        throw new Error('once');
      }
      order.push(String(m.content));
    });
    await receive({ fromUserid: 'lisi', kind: 'text', content: 'first', createTimeS: 1 });
    await receive({ fromUserid: 'lisi', kind: 'text', content: 'second', createTimeS: 2 });
    const p = processor(router);
    await p.runOnce();
    expect(order).toEqual([]);
    clock.advance(5_000);
    await p.runOnce();
    expect(order).toEqual(['first', 'second']);
  });
});
