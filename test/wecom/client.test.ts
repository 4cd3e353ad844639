import axios from 'axios';
import { ManualClock } from '../../src/clock';
import { classify, ERRCODE_TABLE, WecomApiError, WecomHttpError, WecomTimeoutError, backoffMs } from '../../src/wecom/errors';
import { nextSendAt } from '../../src/wecom/pacing';
import { makeClient, startFake, text, type RunningFake } from './support';

describe('WeCom client against the fake WeCom', () => {
  let f: RunningFake;
  beforeEach(async () => {
    f = await startFake();
  });
  afterEach(async () => {
    await f.close();
  });

  it('sends every message type and reads msgid, response_code and invaliduser', async () => {
    f.fake.options.knownUser = (u) => u !== 'ghost';
    const { client } = makeClient(f.url);
    const r1 = await client.sendMessage('zhangsan', text('你好'));
    expect(r1.msgid).toMatch(/^[0-9a-f]{32}$/);
    await client.sendMessage('zhangsan', { msgtype: 'markdown', markdown: { content: '**加粗**' } });
    await client.sendMessage('zhangsan', {
      msgtype: 'textcard',
      textcard: { title: '工单', description: '请整改', url: 'https://example.invalid/wo/1', btntxt: '详情' },
    });
    const card = await client.sendMessage('zhangsan|ghost', {
      msgtype: 'template_card',
      template_card: {
        card_type: 'button_interaction',
        main_title: { title: '整改复核' },
        task_id: 'wo_1_review',
        button_list: [{ text: '通过', style: 1, key: 'accept:1' }],
      },
    });
    expect(card.responseCode).toBeTruthy();
    expect(card.invalidUsers).toEqual(['ghost']);
    expect(f.fake.messagesFor('zhangsan').map((m) => m.msgtype)).toEqual(['text', 'markdown', 'textcard', 'template_card']);
    await client.updateTemplateCard({ userids: ['zhangsan'], response_code: card.responseCode!, button: { replace_name: '已通过' } });
    expect(f.fake.messagesFor('zhangsan')[3].replacedName).toBe('已通过');
    // A response_code is single use.
    await expect(
      client.updateTemplateCard({ userids: ['zhangsan'], response_code: card.responseCode!, button: { replace_name: 'x' } }),
    ).rejects.toBeInstanceOf(WecomApiError);
  });

  it('all recipients invalid is 81013; user/get of an unknown user is 60111', async () => {
    f.fake.options.knownUser = () => false;
    const { client } = makeClient(f.url);
    await expect(client.sendMessage('ghost', text('x'))).rejects.toMatchObject({ errcode: 81013 });
    await expect(client.getUser('ghost')).rejects.toMatchObject({ errcode: 60111 });
  });

  it('caches the token and refreshes it once for many concurrent callers', async () => {
    const { client, tokens } = makeClient(f.url);
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.sendMessage(`u${i}`, text(`m${i}`))));
    expect(f.fake.tokenFetches).toBe(1);
    expect(tokens.fetches).toBe(1);
    await client.sendMessage('u1', text('again'));
    expect(f.fake.tokenFetches).toBe(1);
  });

  it('refreshes before expiry by the injected clock', async () => {
    const clock = new ManualClock('2026-11-23T08:00:00Z');
    const { client } = makeClient(f.url, clock);
    await client.sendMessage('a', text('1'));
    clock.advance(7200_000 - 6 * 60_000);
    await client.sendMessage('a', text('2'));
    expect(f.fake.tokenFetches).toBe(1);
    clock.advance(2 * 60_000); // inside the 5-minute margin
    await client.sendMessage('a', text('3'));
    expect(f.fake.tokenFetches).toBe(2);
  });

  it('after 42001 or 40014 refreshes once and retries once, concurrently too', async () => {
    const { client } = makeClient(f.url);
    await client.sendMessage('a', text('warm'));
    f.fake.expireAllTokens();
    await Promise.all([client.sendMessage('a', text('1')), client.sendMessage('b', text('2')), client.sendMessage('c', text('3'))]);
    expect(f.fake.tokenFetches).toBe(2);
    expect(f.fake.messages).toHaveLength(4);

    f.fake.inject({ path: 'message/send', errcode: 40014 });
    await client.sendMessage('a', text('4'));
    expect(f.fake.tokenFetches).toBe(3);
    expect(f.fake.messages).toHaveLength(5);

    // A second token error right after the refresh is not retried again.
    f.fake.inject({ path: 'message/send', errcode: 42001, times: 2 });
    await expect(client.sendMessage('a', text('5'))).rejects.toMatchObject({ errcode: 42001 });
    // warm 1; three callers × (42001 + retry) 6; 40014 + retry 2; 42001 + retry 2.
    expect(f.fake.calls['/message/send']).toBe(1 + 6 + 2 + 2);
  });

  it('never retries 40001 (bad secret)', async () => {
    const { client } = makeClient(f.url, undefined, 2000, 'wrong-secret');
    await expect(client.sendMessage('a', text('x'))).rejects.toMatchObject({ errcode: 40001 });
    expect(f.fake.tokenFetches).toBe(1);
    expect(f.fake.calls['/message/send'] ?? 0).toBe(0);
  });

  it('maps timeouts, HTTP statuses and dropped connections to distinct errors', async () => {
    const { client } = makeClient(f.url, undefined, 300);
    await client.sendMessage('a', text('warm'));
    f.fake.inject({ path: 'message/send', delayMs: 2000 });
    const timeout = await client.sendMessage('a', text('slow')).catch((e) => e);
    expect(timeout).toBeInstanceOf(WecomTimeoutError);
    f.fake.inject({ path: 'message/send', httpStatus: 502 });
    const http = await client.sendMessage('a', text('502')).catch((e) => e);
    expect(http).toBeInstanceOf(WecomHttpError);
    expect(http.status).toBe(502);
    f.fake.inject({ path: 'message/send', drop: true });
    const reset = await client.sendMessage('a', text('drop')).catch((e) => e);
    expect(reset).toBeInstanceOf(WecomHttpError);
    expect(reset.status).toBeNull();
    f.fake.inject({ path: 'message/send', errcode: 45009 });
    const limited = await client.sendMessage('a', text('limit')).catch((e) => e);
    expect(limited).toBeInstanceOf(WecomApiError);
    expect(classify(limited).kind).toBe('retry');
  });

  it('takes faults through its HTTP control API too', async () => {
    const { client } = makeClient(f.url);
    const ctl = await axios.post(`${f.url}/_control/faults`, [{ path: 'message/send', errcode: 60020, times: 1 }], { proxy: false });
    expect(ctl.data).toEqual({ ok: true, pending: 1 });
    await expect(client.sendMessage('a', text('x'))).rejects.toMatchObject({ errcode: 60020 });
    await client.sendMessage('a', text('y'));
    const stats = await axios.get(`${f.url}/_control/stats`, { proxy: false });
    expect(stats.data.calls['/message/send']).toBe(2);
    expect(stats.data.messages).toBe(1);
  });

  it('downloads media as binary and reports a bad media_id as an API error', async () => {
    const { client } = makeClient(f.url);
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const id = f.fake.putMedia(png, 'image/png', '截图.png');
    const dl = await client.getMedia(id);
    expect(dl.data.equals(png)).toBe(true);
    expect(dl.contentType).toBe('image/png');
    expect(dl.fileName).toBe('截图.png');
    await expect(client.getMedia('nope')).rejects.toMatchObject({ errcode: 40007 });
  });

  it('uploads an image (media/upload) and sends it by its media_id; a bad type is an API error', async () => {
    const { client } = makeClient(f.url);
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');
    const id = await client.uploadMedia('image', png, 'shot.png', 'image/png');
    expect(f.fake.uploads).toBe(1);
    expect(f.fake.media.get(id)).toMatchObject({ mime: 'image/png', name: 'shot.png' });
    expect(f.fake.media.get(id)!.data.equals(png)).toBe(true);
    await client.sendMessage('zhangsan', { msgtype: 'image', image: { media_id: id } });
    expect(f.fake.messagesFor('zhangsan').at(-1)).toMatchObject({ msgtype: 'image', body: { media_id: id } });
    expect((await client.getMedia(id)).data.equals(png)).toBe(true);
    await expect(client.uploadMedia('bogus' as 'image', png, 'a.bin', 'application/octet-stream')).rejects.toMatchObject({ errcode: 40004 });
  });

  it('creates and sends to an app chat', async () => {
    const { client } = makeClient(f.url);
    const chatid = await client.createAppChat({ name: '整改群', owner: 'a', userlist: ['a', 'b'] });
    await client.sendAppChat(chatid, text('大家好'));
    expect(f.fake.messages[0]).toMatchObject({ chatid, touser: 'a|b' });
  });
});

describe('the retry table', () => {
  it.each([
    [-1, 'retry'],
    [45009, 'retry'],
    [45033, 'retry'],
    [40014, 'token'],
    [42001, 'token'],
    [40001, 'config'],
    [60020, 'config'],
    [60111, 'recipient'],
    [81013, 'recipient'],
    [40008, 'final'],
  ])('errcode %d is %s', (code, kind) => {
    expect(classify(new WecomApiError(code, 'x', 'messageSend'))).toEqual({ kind, ambiguous: false });
  });

  it('lists exactly the documented codes', () => {
    expect(Object.keys(ERRCODE_TABLE).map(Number).sort((a, b) => a - b)).toEqual([-1, 40001, 40014, 42001, 45009, 45033, 60020, 60111, 81013]);
  });

  it('timeouts, resets and 5xx are retried and ambiguous; refused and 4xx are not ambiguous', () => {
    expect(classify(new WecomTimeoutError(1000, 'messageSend'))).toEqual({ kind: 'retry', ambiguous: true });
    expect(classify(new WecomHttpError(null, 'ECONNRESET', 'messageSend'))).toEqual({ kind: 'retry', ambiguous: true });
    expect(classify(new WecomHttpError(null, 'ECONNREFUSED', 'messageSend'))).toEqual({ kind: 'retry', ambiguous: false });
    expect(classify(new WecomHttpError(503, null, 'messageSend'))).toEqual({ kind: 'retry', ambiguous: true });
    expect(classify(new WecomHttpError(404, null, 'messageSend'))).toEqual({ kind: 'final', ambiguous: false });
    expect(classify(new Error('bug'))).toEqual({ kind: 'final', ambiguous: false });
  });

  it('backs off exponentially with a cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000, 5000))).toEqual([1000, 2000, 4000, 5000]);
  });
});

describe('pacing', () => {
  const now = Date.parse('2026-11-23T08:00:00Z');

  it('lets a recipient have 30 a minute, then waits for the oldest to leave the window', () => {
    const recent = Array.from({ length: 29 }, (_, i) => now - 50_000 + i * 1000);
    expect(nextSendAt(recent, now)).toBe(now);
    const full = [...recent, now - 1000];
    expect(nextSendAt(full, now)).toBe(now - 50_000 + 60_000);
  });

  it('holds 1000 an hour', () => {
    // 1000 sends spread over the last 50 minutes, never more than 20 a minute.
    const recent = Array.from({ length: 1000 }, (_, i) => now - 3_000_000 + i * 3000);
    expect(nextSendAt(recent, now)).toBe(now - 3_000_000 + 3_600_000);
    expect(nextSendAt(recent.slice(1), now)).toBe(now);
  });

  it('ignores sends outside the windows', () => {
    expect(nextSendAt(Array.from({ length: 5000 }, () => now - 3_600_001), now)).toBe(now);
  });
});
