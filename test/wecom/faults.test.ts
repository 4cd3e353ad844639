/**
 * The outbox under WeCom faults: a few hundred messages to many recipients, drained by
 * the real sender and client against the fake WeCom over HTTP while the fake expires tokens
 * (42001), rate-limits (45009 bursts), is busy (-1), answers 503, answers slowly, answers too late
 * (client timeout, but the fake still delivers), resets connections before processing (drop),
 * resets them after processing (dropAfterProcessing: delivered, answer lost), and knows some
 * recipients not at all (81013, and later errcode 0 + invaliduser); once, gettoken itself fails
 * twice while the token is expired.
 *
 * Faults are injected at fixed message/send request numbers, so the run is deterministic. Once
 * they stop, the outbox must be drained: every row sent, or failed for the invalid recipients
 * (whose contacts are then unreachable); nothing lost, nothing received twice by the fake. The
 * fake implements WeCom's enable_duplicate_check (same recipient, type and body within the
 * interval → the earlier msgid, nothing new delivered), which the sender turns on only for resends
 * of a row whose earlier outcome is unknown; the fake's `messages` are what users would see.
 */
import { ManualClock } from '../../src/clock';
import { KnexEventLog } from '../../src/domain/events/events';
import { KnexContactDirectory } from '../../src/domain/outbox/contacts';
import { OutboxSender } from '../../src/wecom/outbox-sender';
import { KnexOutboxStore } from '../../src/domain/outbox/store';
import { silentLogger } from '../../src/logger';
import { FakeWecom, serveFake, type ServedFake } from '../../src/simulator/fake-wecom';
import { describeEachDb } from '../support/db';
import { Rng } from '../support/fuzz';
import { CORP, makeClient, text } from './support';

const SEED = 0xfa17_0009;
const RECIPIENTS = 60;
/** Recipients the fake does not know (every 10th). */
const INVALID = new Set(Array.from({ length: RECIPIENTS }, (_, i) => i).filter((i) => i % 10 === 7).map((i) => userid(i)));
const PER_RECIPIENT = 5;
const ADMIN = 'admin01';
const CLIENT_TIMEOUT_MS = 300;

function userid(i: number): string {
  return `u${String(i).padStart(3, '0')}`;
}

describeEachDb('outbox drain under injected WeCom faults', (get) => {
  let served: ServedFake;
  let fake: FakeWecom;
  let url: string;
  let sendRequests = 0;
  const clock = new ManualClock('2026-11-24T01:00:00Z');

  /** The fixed schedule: what happens at the n-th message/send request (before the fake handles it). */
  const fixedSchedule: Record<number, () => void> = {
    30: () => fake.expireAllTokens(), // 42001 mid-run: refresh and retry in the same call
    45: () => fake.inject({ path: 'message/send', errcode: 45009, times: 12 }),
    70: () => fake.inject({ path: 'message/send', errcode: -1, times: 8 }),
    90: () => fake.inject({ path: 'message/send', httpStatus: 503, times: 3 }),
    100: () => fake.inject({ path: 'message/send', delayMs: 60, times: 10 }), // slow, within the timeout
    120: () => fake.inject({ path: 'message/send', delayMs: CLIENT_TIMEOUT_MS * 2, times: 4 }), // too late: delivered anyway
    140: () => fake.inject({ path: 'message/send', drop: true, times: 6 }),
    160: () => fake.inject({ path: 'message/send', dropAfterProcessing: true, times: 6 }),
    180: () => fake.inject({ path: 'message/send', errcode: 42001, times: 2 }), // the retry after refresh fails too
    200: () => {
      fake.options.allInvalidAsOk = true; // from now on: errcode 0 with invaliduser
    },
    220: () => {
      // Expired, and gettoken itself fails twice (reset, then 503) before a new token comes.
      fake.expireAllTokens();
      fake.inject({ path: 'gettoken', drop: true });
      fake.inject({ path: 'gettoken', httpStatus: 503 });
    },
    240: () => fake.inject({ path: 'message/send', errcode: 45009, times: 5 }),
  };

  /** The same kinds of fault at seeded request numbers, in seeded order and amounts. */
  function seededSchedule(seed: number): Record<number, () => void> {
    const rng = new Rng(seed);
    const menu: (() => void)[] = [
      () => fake.expireAllTokens(),
      () => fake.inject({ path: 'message/send', errcode: rng.pick([45009, -1, 45033]), times: rng.int(1, 12) }),
      () => fake.inject({ path: 'message/send', httpStatus: rng.pick([500, 502, 503]), times: rng.int(1, 4) }),
      () => fake.inject({ path: 'message/send', delayMs: rng.int(20, 80), times: rng.int(1, 10) }),
      () => fake.inject({ path: 'message/send', delayMs: CLIENT_TIMEOUT_MS * 2, times: rng.int(1, 3) }),
      () => fake.inject({ path: 'message/send', drop: true, times: rng.int(1, 6) }),
      () => fake.inject({ path: 'message/send', dropAfterProcessing: true, times: rng.int(1, 6) }),
      () => fake.inject({ path: 'message/send', errcode: 42001, times: rng.int(1, 2) }),
      () => {
        fake.expireAllTokens();
        fake.inject({ path: 'gettoken', drop: rng.chance(0.5), httpStatus: 503 });
      },
    ];
    const out: Record<number, () => void> = {};
    const flipAt = rng.int(60, 240);
    out[flipAt] = () => {
      fake.options.allInvalidAsOk = true;
    };
    for (let n = rng.int(5, 20); n < 250; n += rng.int(6, 18)) {
      if (out[n]) continue;
      const f = rng.pick(menu);
      out[n] = f;
    }
    return out;
  }

  let schedule: Record<number, () => void> = {};
  const lastScheduled = () => Math.max(...Object.keys(schedule).map(Number));

  beforeEach(async () => {
    sendRequests = 0;
    fake = new FakeWecom({ ...CORP, clock, knownUser: (u) => !INVALID.has(u) });
    served = await serveFake(fake, (req, _res, next) => {
      if (req.path.endsWith('/message/send')) schedule[++sendRequests]?.();
      next();
    });
    url = served.url;
  });

  afterEach(() => served.close());

  // Seed 0: the fixed schedule above; the others: seeded ones.
  it.each([0, 1])('drains completely once the faults stop: nothing lost, nothing twice, invalid recipients flagged (schedule %i)', async (seed) => {
    schedule = seed === 0 ? fixedSchedule : seededSchedule(SEED + seed);
    const db = get().db;
    const store = new KnexOutboxStore(db);
    const t0 = clock.now().getTime();
    const contactRows = [
      ...Array.from({ length: RECIPIENTS }, (_, i) => ({ wecom_userid: userid(i), name: `联系人${i}`, role: 'primary' })),
      { wecom_userid: ADMIN, name: '管理员', role: 'admin' },
    ].map((c) => ({ ...c, reachable: true, active: true, created_at: t0, updated_at: t0 }));
    await db.batchInsert('contacts', contactRows, 50);

    // Round-robin over the recipients, so every batch mixes them.
    const expected = new Map<string, string[]>();
    for (let k = 0; k < PER_RECIPIENT; k++) {
      for (let i = 0; i < RECIPIENTS; i++) {
        const u = userid(i);
        const content = `整改提醒 ${u} 第${k + 1}条`;
        await store.enqueue({ idempotencyKey: `fault:${u}:${k}`, touser: u, purpose: 'test', message: text(content) }, clock.now());
        expected.set(u, [...(expected.get(u) ?? []), content]);
      }
    }
    const total = RECIPIENTS * PER_RECIPIENT;

    const { client } = makeClient(url, clock, CLIENT_TIMEOUT_MS);
    const sender = new OutboxSender(store, client, new KnexEventLog(db), new KnexContactDirectory(db), clock, silentLogger, {
      backoffBaseMs: 1_000,
      backoffCapMs: 60_000,
    });

    const open = async () => Number((await db('outbox').whereIn('state', ['pending', 'sending']).count({ n: '*' }))[0].n);
    let rounds = 0;
    for (; rounds < 200; rounds++) {
      const outcomes = await sender.runOnce();
      // Let every answer the fake still owes (late ones after a client timeout) land first.
      await fake.idle();
      if ((await open()) === 0) break;
      if (outcomes.length < 100) clock.advance(61_000); // retries and paced rows become due
    }
    expect(await open()).toBe(0);
    // The whole schedule was played and used up: the drain happened after the faults stopped.
    expect(sendRequests).toBeGreaterThan(lastScheduled());
    expect(fake.pendingFaults).toBe(0);

    const rows = await store.list();
    const byKey = new Map(rows.map((r) => [r.idempotencyKey, r]));
    const userRows = rows.filter((r) => r.purpose === 'test');
    expect(userRows).toHaveLength(total);

    // Valid recipients: every row sent, once, in order; its msgid is that of the delivered message.
    for (const [u, contents] of expected) {
      const got = fake.messagesFor(u);
      if (INVALID.has(u)) {
        expect(got).toHaveLength(0);
        continue;
      }
      expect(got.map((m) => m.body.content)).toEqual(contents);
      for (let k = 0; k < PER_RECIPIENT; k++) {
        const row = byKey.get(`fault:${u}:${k}`)!;
        expect(row.state).toBe('sent');
        expect(row.msgid).toBe(got[k].msgid);
      }
    }
    // Nothing delivered twice anywhere (admin notices included).
    const delivered = fake.messages.map((m) => `${m.touser}\u0000${String(m.body.content)}`);
    expect(new Set(delivered).size).toBe(delivered.length);

    // Invalid recipients: final failures (81013 first, errcode 0 + invaliduser later), contact unreachable.
    const failed = userRows.filter((r) => r.state === 'failed');
    expect(failed.map((r) => r.touser).sort()).toEqual([...INVALID].flatMap((u) => Array(PER_RECIPIENT).fill(u)).sort());
    expect(new Set(failed.map((r) => r.lastErrcode))).toEqual(new Set([81013, 0]));
    for (const r of failed) expect(r.lastError).toMatch(/81013|invaliduser/);
    const contacts = await db('contacts').whereIn('wecom_userid', [...INVALID]);
    expect(contacts).toHaveLength(INVALID.size);
    for (const c of contacts) expect(Boolean(c.reachable)).toBe(false);
    const stillReachable = await db('contacts').where({ reachable: true }).count({ n: '*' });
    expect(Number(stillReachable[0].n)).toBe(RECIPIENTS - INVALID.size + 1);
    // The admin was told once per contact that became unreachable (not once per failed row).
    const adminRows = rows.filter((r) => r.purpose === 'admin_notice');
    expect(adminRows).toHaveLength(INVALID.size);
    expect(adminRows.every((r) => r.state === 'sent')).toBe(true);
    const notices = fake.messagesFor(ADMIN).map((m) => String(m.body.content));
    expect(notices).toHaveLength(INVALID.size);
    for (const u of INVALID) expect(notices.filter((n) => n.includes(`企业微信账号 ${u}）`) && n.includes('联系人'))).toHaveLength(1);

    // No row gave up, and the faults really were met: retries, resends with duplicate check, and
    // answers the duplicate check absorbed (fewer deliveries than accepted sends).
    expect(rows.filter((r) => r.state === 'dead')).toHaveLength(0);
    const attempts = rows.reduce((n, r) => n + r.attempts, 0);
    if (seed === 0) {
      expect(attempts).toBeGreaterThan(rows.length + 30);
      expect(fake.duplicateChecked).toBeGreaterThanOrEqual(16);
      expect(fake.tokenFetches).toBeGreaterThanOrEqual(4);
      expect(fake.calls['/gettoken']).toBeGreaterThanOrEqual(fake.tokenFetches + 2);
    } else {
      expect(attempts).toBeGreaterThan(rows.length);
      expect(fake.duplicateChecked).toBeGreaterThan(0);
    }
    const events = new KnexEventLog(db);
    expect(await events.list({ type: 'message.out.sent' })).toHaveLength(rows.filter((r) => r.state === 'sent').length);
    expect(rounds).toBeLessThan(200);
  }, 90_000);
});
