import { ManualClock } from '../../src/clock';
import { createDb } from '../../src/db/knex';
import { KnexEventLog } from '../../src/domain/events/events';
import { KnexContactDirectory } from '../../src/domain/outbox/contacts';
import { OutboxSender, type OutboxSenderOptions } from '../../src/wecom/outbox-sender';
import { KnexOutboxStore } from '../../src/domain/outbox/store';
import { silentLogger } from '../../src/logger';
import { describeEachDb, type TestDb } from '../support/db';
import { makeClient, startFake, text, type RunningFake } from './support';

const T0 = '2026-11-23T08:00:00Z';

async function addContact(t: TestDb, userid: string, role: string, name = userid): Promise<number> {
  const [row] = await t.db('contacts')
    .insert({ wecom_userid: userid, name, role, reachable: true, active: true, created_at: 0, updated_at: 0 })
    .returning('id');
  return Number(typeof row === 'object' ? row.id : row);
}

describeEachDb('outbox', (get) => {
  let f: RunningFake;
  let clock: ManualClock;
  let store: KnexOutboxStore;
  let events: KnexEventLog;

  beforeEach(async () => {
    f = await startFake();
    clock = new ManualClock(T0);
    store = new KnexOutboxStore(get().db);
    events = new KnexEventLog(get().db);
  });
  afterEach(async () => {
    await f.close();
  });

  function sender(options: OutboxSenderOptions = {}, db = get().db, timeoutMs = 2000) {
    const { client } = makeClient(f.url, clock, timeoutMs);
    return new OutboxSender(new KnexOutboxStore(db), client, new KnexEventLog(db), new KnexContactDirectory(db), clock, silentLogger, {
      backoffBaseMs: 1000,
      backoffCapMs: 60_000,
      ...options,
    });
  }

  const enqueue = (key: string, touser: string, content: string) =>
    store.enqueue({ idempotencyKey: key, touser, purpose: 'test', message: text(content) }, clock.now());

  /** Runs the sender, moving the clock on, until nothing is left to do. */
  async function drain(s: OutboxSender, rounds = 20): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await s.runOnce();
      const open = await get().db('outbox').whereIn('state', ['pending', 'sending']).count({ n: '*' });
      if (Number(open[0].n) === 0) return;
      clock.advance(61_000);
    }
  }

  it('enqueues idempotently and delivers in order, recording msgid and attempts', async () => {
    const a = await enqueue('wo:1:notify:1', 'zhangsan', '第一条');
    const again = await enqueue('wo:1:notify:1', 'zhangsan', '不同的内容');
    expect(again).toEqual({ id: a.id, created: false });
    const b = await enqueue('wo:1:notify:2', 'zhangsan', '第二条');
    expect(await sender().runOnce()).toEqual(['sent', 'sent']);
    expect(f.fake.messagesFor('zhangsan').map((m) => m.body.content)).toEqual(['第一条', '第二条']);
    const row = (await store.get(a.id))!;
    expect(row).toMatchObject({ state: 'sent', attempts: 1, lastErrcode: 0 });
    expect(row.msgid).toBe(f.fake.messagesFor('zhangsan')[0].msgid);
    const sent = await events.list({ type: 'message.out.sent' });
    expect(sent.map((e) => e.data.outboxId)).toEqual([a.id, b.id]);
    // Nothing left: a second run sends nothing more.
    expect(await sender().runOnce()).toEqual([]);
    expect(f.fake.messages).toHaveLength(2);
  });

  it('survives rate limiting, busy, 5xx, token expiry and timeouts without losing or duplicating', async () => {
    for (let i = 1; i <= 6; i++) await enqueue(`k${i}`, i % 2 ? 'a' : 'b', `m${i}`);
    const s = sender({}, get().db, 300);
    await s.runOnce(); // warm the token... and deliver everything
    f.fake.messages.splice(0);
    for (let i = 7; i <= 12; i++) await enqueue(`k${i}`, i % 2 ? 'a' : 'b', `m${i}`);
    f.fake.inject({ path: 'message/send', errcode: 45009 });
    f.fake.inject({ path: 'message/send', errcode: -1 });
    f.fake.inject({ path: 'message/send', httpStatus: 503 });
    f.fake.inject({ path: 'message/send', errcode: 45033 });
    f.fake.inject({ path: 'message/send', delayMs: 1500 });
    f.fake.expireAllTokens();
    await drain(s);
    const got = f.fake.messages.map((m) => m.body.content).sort();
    expect(got).toEqual(['m10', 'm11', 'm12', 'm7', 'm8', 'm9']);
    const rows = await store.list();
    expect(rows.every((r) => r.state === 'sent')).toBe(true);
    expect(rows.reduce((n, r) => n + r.attempts, 0)).toBeGreaterThan(12);
    // Per recipient, in enqueue order despite the retries.
    expect(f.fake.messagesFor('a').map((m) => m.body.content)).toEqual(['m7', 'm9', 'm11']);
    expect(f.fake.messagesFor('b').map((m) => m.body.content)).toEqual(['m8', 'm10', 'm12']);
  });

  it('a later row does not overtake an earlier one that is waiting to retry', async () => {
    await enqueue('a1', 'a', 'a-first');
    await enqueue('a2', 'a', 'a-second');
    await enqueue('b1', 'b', 'b-only');
    f.fake.inject({ path: 'message/send', touser: 'a', errcode: 45009 });
    const s = sender();
    expect(await s.runOnce()).toEqual(['retry', 'sent']);
    expect(f.fake.messages.map((m) => m.body.content)).toEqual(['b-only']);
    clock.advance(1000);
    expect(await s.runOnce()).toEqual(['sent', 'sent']);
    expect(f.fake.messagesFor('a').map((m) => m.body.content)).toEqual(['a-first', 'a-second']);
  });

  it('with many sends in flight, each recipient still gets its messages in order through retries and lost answers', async () => {
    const users = Array.from({ length: 12 }, (_, u) => `u${u}`);
    for (let i = 0; i < 5; i++) for (const u of users) await enqueue(`${u}:${i}`, u, `${u}-${i}`);
    // Failures scattered over recipients and rows: definite (retry), unknown outcome (resend with
    // duplicate check), and a connection dropped before WeCom saw the request.
    for (const u of ['u1', 'u4', 'u7']) f.fake.inject({ path: 'message/send', touser: u, errcode: 45009 });
    for (const u of ['u2', 'u4', 'u9']) f.fake.inject({ path: 'message/send', touser: u, dropAfterProcessing: true });
    for (const u of ['u3', 'u11']) f.fake.inject({ path: 'message/send', touser: u, drop: true, times: 2 });
    const s = sender({ concurrency: 8, batch: 100 });
    for (let round = 0; round < 30; round++) {
      await s.runOnce();
      const open = await get().db('outbox').whereIn('state', ['pending', 'sending']).count({ n: '*' });
      if (Number(open[0].n) === 0) break;
      clock.advance(61_000);
    }
    for (const u of users) {
      expect(f.fake.messagesFor(u).map((m) => m.body.content)).toEqual([0, 1, 2, 3, 4].map((i) => `${u}-${i}`));
    }
    expect(Number((await get().db('outbox').where({ state: 'sent' }).count({ n: '*' }))[0].n)).toBe(users.length * 5);
  });

  it('an answer lost after WeCom processed the message is resent with duplicate check, delivered once', async () => {
    await enqueue('k1', 'a', 'once');
    f.fake.inject({ path: 'message/send', dropAfterProcessing: true });
    const s = sender();
    expect(await s.runOnce()).toEqual(['retry']);
    expect(f.fake.messages).toHaveLength(1);
    clock.advance(1000);
    expect(await s.runOnce()).toEqual(['sent']);
    expect(f.fake.messages).toHaveLength(1);
    expect(f.fake.duplicateChecked).toBe(1);
    expect((await store.getByKey('k1'))!).toMatchObject({ state: 'sent', attempts: 2, msgid: f.fake.messages[0].msgid });
  });

  it('an answer lost, then a definite failure: the next resend still uses the duplicate check', async () => {
    await enqueue('k1', 'a', 'once');
    f.fake.inject({ path: 'message/send', dropAfterProcessing: true }); // delivered, answer lost
    f.fake.inject({ path: 'message/send', errcode: 45009 }); // a definite "not sent" for attempt 2
    const s = sender();
    expect(await s.runOnce()).toEqual(['retry']);
    clock.advance(1000);
    expect(await s.runOnce()).toEqual(['retry']);
    clock.advance(2000);
    expect(await s.runOnce()).toEqual(['sent']);
    expect(f.fake.messages).toHaveLength(1);
    // (Attempt 2 was answered 45009 before the fake looked at the body: only attempt 3 reached the check.)
    expect(f.fake.duplicateChecked).toBe(1);
    expect((await store.getByKey('k1'))!).toMatchObject({ state: 'sent', attempts: 3, msgid: f.fake.messages[0].msgid });
  });

  it('a crash between send and record does not send twice on restart', async () => {
    const { id } = await enqueue('k1', 'a', 'crash');
    await enqueue('k2', 'a', 'after');
    // Instance 1 claims, commits the attempt, sends... and dies before recording.
    const dying = sender({ workerId: 'dying', leaseMs: 30_000 });
    const claimed = (await store.claimNext('dying', clock.now(), 30_000))!;
    expect(claimed.id).toBe(id);
    expect(await store.beginAttempt(id, 'dying', clock.now())).toBe(true);
    const { client } = makeClient(f.url, clock);
    await client.sendMessage('a', claimed.payload as any);
    expect(dying.workerId).toBe('dying');
    expect(f.fake.messages).toHaveLength(1);

    // Restart: while the lease holds, nothing is sent (and the later row waits its turn).
    const restarted = sender({ workerId: 'restarted' });
    expect(await restarted.runOnce()).toEqual([]);
    clock.advance(31_000);
    expect(await restarted.runOnce()).toEqual(['sent', 'sent']);
    expect(f.fake.messages.map((m) => m.body.content)).toEqual(['crash', 'after']);
    expect(f.fake.duplicateChecked).toBe(1);
    expect((await store.get(id))!).toMatchObject({ state: 'sent', attempts: 2 });
    // The late worker cannot record over the new owner.
    expect(await store.markSent(id, 'dying', { msgid: 'x', responseCode: null, at: clock.now() })).toBe(false);
  });

  it('gives up after the maximum attempts: dead, an event and an admin notice', async () => {
    await addContact(get(), 'admin1', 'admin', '管理员甲');
    const { id } = await enqueue('k1', 'a', 'never');
    f.fake.inject({ path: 'message/send', errcode: -1, times: 3 });
    const s = sender({ maxAttempts: 3 });
    await drain(s, 5);
    expect((await store.get(id))!).toMatchObject({ state: 'dead', attempts: 3, lastErrcode: -1 });
    expect(await events.list({ type: 'message.out.dead' })).toHaveLength(1);
    const notice = f.fake.messagesFor('admin1');
    expect(notice).toHaveLength(1);
    expect(String(notice[0].body.content)).toContain('已放弃');
    expect(f.fake.messagesFor('a')).toHaveLength(0);
  });

  it('60111 and 81013 are final: the contact is marked unreachable and admins are told once', async () => {
    const lisi = await addContact(get(), 'lisi', 'primary', '李四');
    await addContact(get(), 'admin1', 'admin');
    await addContact(get(), 'admin2', 'admin');
    f.fake.options.knownUser = (u) => u.startsWith('admin');
    const { id } = await enqueue('k1', 'lisi', '整改通知');
    await enqueue('k2', 'lisi', '第二条');
    const s = sender();
    await drain(s);
    expect((await store.get(id))!).toMatchObject({ state: 'failed', attempts: 1, lastErrcode: 81013 });
    const c = await get().db('contacts').where({ id: lisi }).first();
    expect(Boolean(c.reachable)).toBe(false);
    expect(c.unreachable_reason).toContain('81013');
    expect(await events.list({ type: 'contact.unreachable' })).toHaveLength(1);
    // Two failures of the same contact: the contact changed once, and each admin is told once.
    expect((await store.getByKey('k2'))!).toMatchObject({ state: 'failed', lastErrcode: 81013 });
    expect(f.fake.messagesFor('admin1')).toHaveLength(1);
    expect(f.fake.messagesFor('admin2')).toHaveLength(1);
    expect(String(f.fake.messagesFor('admin1')[0].body.content)).toContain('李四');

    f.fake.inject({ path: 'message/send', errcode: 60111 });
    const r3 = await enqueue('k3', 'wangwu', 'x');
    await s.runOnce();
    expect((await store.get(r3.id))!).toMatchObject({ state: 'failed', lastErrcode: 60111, attempts: 1 });
    // wangwu is no contact: nothing to mark, the admins are told (once per failed message).
    await drain(s);
    expect(f.fake.messagesFor('admin1').map((m) => String(m.body.content))).toEqual([
      expect.stringContaining('李四'),
      expect.stringContaining('wangwu'),
    ]);
  });

  it('a partly invalid list (errcode 0 + invaliduser) marks the contact and tells the admins', async () => {
    f.fake.options.allInvalidAsOk = true;
    f.fake.options.knownUser = (u) => u === 'admin1';
    const ghost = await addContact(get(), 'ghost', 'primary', '张三');
    await addContact(get(), 'admin1', 'admin');
    const { id } = await enqueue('k1', 'ghost', 'x');
    await drain(sender());
    expect((await store.get(id))!.state).toBe('failed');
    expect(Boolean((await get().db('contacts').where({ id: ghost }).first()).reachable)).toBe(false);
    expect(f.fake.messagesFor('admin1')).toHaveLength(1);
    expect(f.fake.messagesFor('ghost')).toHaveLength(0);
  });

  it('40001 is a configuration error: never retried', async () => {
    const { id } = await enqueue('k1', 'a', 'x');
    const { client } = makeClient(f.url, clock, 2000, 'wrong');
    const s = new OutboxSender(store, client, events, new KnexContactDirectory(get().db), clock, silentLogger);
    expect(await s.runOnce()).toEqual(['failed']);
    clock.advance(3_600_000);
    expect(await s.runOnce()).toEqual([]);
    expect(f.fake.tokenFetches).toBe(1);
    expect((await store.get(id))!).toMatchObject({ state: 'failed', lastErrcode: 40001 });
    expect(await store.requeue(id, clock.now())).toBe(true);
    expect((await store.get(id))!.state).toBe('pending');
  });

  it('paces each recipient and releases the row without counting an attempt', async () => {
    const limits = [{ windowMs: 60_000, max: 2 }];
    for (let i = 1; i <= 3; i++) await enqueue(`a${i}`, 'a', `a${i}`);
    await enqueue('b1', 'b', 'b1');
    const s = sender({ limits });
    const first = await s.runOnce();
    expect(first.filter((o) => o === 'sent')).toHaveLength(3);
    expect(first).toContain('paced');
    const a3 = (await store.getByKey('a3'))!;
    expect(a3).toMatchObject({ state: 'pending', attempts: 0 });
    expect(a3.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 60_000);
    clock.advance(30_000);
    expect(await s.runOnce()).toEqual([]);
    clock.advance(30_000);
    expect(await s.runOnce()).toEqual(['sent']);
    expect(f.fake.messagesFor('a').map((m) => m.body.content)).toEqual(['a1', 'a2', 'a3']);
  });

  it('update_card and appchat rows go to their endpoints', async () => {
    const { client } = makeClient(f.url, clock);
    const card = await client.sendMessage('a', {
      msgtype: 'template_card',
      template_card: { card_type: 'button_interaction', main_title: { title: 't' }, task_id: 't1', button_list: [{ text: '好', key: 'ok' }] },
    });
    const chatid = await client.createAppChat({ userlist: ['a', 'b'] });
    await store.enqueue(
      { channel: 'update_card', idempotencyKey: 'c1', touser: 'a', purpose: 'card', update: { response_code: card.responseCode!, button: { replace_name: '已确认' } } },
      clock.now(),
    );
    await store.enqueue({ channel: 'appchat', idempotencyKey: 'g1', chatid, purpose: 'group', message: text('群消息') }, clock.now());
    expect(await sender().runOnce()).toEqual(['sent', 'sent']);
    expect(f.fake.messagesFor('a')[0].replacedName).toBe('已确认');
    expect(f.fake.messages.find((m) => m.chatid === chatid)?.body.content).toBe('群消息');
  });

  it('two instances on one database deliver every row exactly once', async () => {
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    for (let i = 0; i < 40; i++) await enqueue(`k${i}`, users[i % users.length], `m${i}`);
    const t = get();
    const second = t.kind === 'postgres' ? createDb(t.url, { schema: t.schema, poolMax: 5 }) : t.db;
    try {
      const s1 = sender({ workerId: 'one' });
      const s2 = sender({ workerId: 'two' }, second);
      const loop = async (s: OutboxSender) => {
        let outcomes: string[] = [];
        for (let i = 0; i < 50; i++) {
          const o = await s.runOnce();
          outcomes = outcomes.concat(o);
          const open = await get().db('outbox').whereIn('state', ['pending', 'sending']).count({ n: '*' });
          if (Number(open[0].n) === 0) break;
        }
        return outcomes;
      };
      const [o1, o2] = await Promise.all([loop(s1), loop(s2)]);
      expect(o1.filter((o) => o === 'sent').length + o2.filter((o) => o === 'sent').length).toBe(40);
      const contents = f.fake.messages.map((m) => String(m.body.content));
      expect(contents).toHaveLength(40);
      expect(new Set(contents).size).toBe(40);
      for (const u of users) {
        const seq = f.fake.messagesFor(u).map((m) => Number(String(m.body.content).slice(1)));
        expect(seq).toEqual([...seq].sort((a, b) => a - b));
      }
    } finally {
      if (second !== t.db) await second.destroy();
    }
  });
});
