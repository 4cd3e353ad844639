/**
 * Outbox delivery of 10,000 messages (400 recipients × 25) by the running service (startService
 * with WeCom credentials and WECOM_API_BASE pointing at the fake WeCom, a real HTTP server on
 * 127.0.0.1 in the same process): the messages are queued in the outbox before the service
 * starts; the time runs from the start until the fake has received the last one. Pacing is checked
 * on what the fake received: no recipient may get more than 30 in any 60 s or 1000 in any hour.
 *
 * Baseline: the same WeCom client sending the same 10,000 messages in a loop, one at a time, to
 * the same fake, without the outbox. What the ratio shows is the outbox's own cost (claim with a
 * lease, pacing lookup, attempt and result recorded, event logged, delivery listeners) on top of
 * the HTTP call both make.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { createContext } from '../../src/app/context';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startService } from '../../src/service';
import { FakeWecom, serveFake } from '../../src/simulator/fake-wecom';
import { WecomClient } from '../../src/wecom/client';
import { WECOM_LIMITS } from '../../src/wecom/pacing';
import { TokenProvider } from '../../src/wecom/token';
import { systemClock } from '../../src/clock';
import { fmtInt, sleep, tempDir, waitUntil } from '../support';
import type { CaseResult, Section } from '../section';

const RECIPIENTS = 400;
const PER_RECIPIENT = 25;
const TOTAL = RECIPIENTS * PER_RECIPIENT;
const CORP = { corpId: 'wwbenchcorp', secret: 'bench-secret-0123456789', agentId: 1000002 };

const recipient = (i: number) => `user${String(i % RECIPIENTS).padStart(4, '0')}`;
const content = (i: number) => `【整改提醒】第 ${i} 条：请于期限内完成整改并回复。`;

async function startFake(): Promise<{ fake: FakeWecom; url: string; close(): Promise<void> }> {
  const fake = new FakeWecom(CORP);
  return { fake, ...(await serveFake(fake)) };
}

/** The most messages any one recipient got within any window of each limit. */
function pacingSeen(fake: FakeWecom): { perWindow: { windowMs: number; max: number; seen: number }[]; recipients: number } {
  const byUser = new Map<string, number[]>();
  for (const m of fake.messages) {
    const list = byUser.get(m.touser) ?? [];
    list.push(m.at);
    byUser.set(m.touser, list);
  }
  const perWindow = WECOM_LIMITS.map((l) => {
    let seen = 0;
    for (const times of byUser.values()) {
      times.sort((a, b) => a - b);
      let lo = 0;
      for (let hi = 0; hi < times.length; hi++) {
        while (times[hi] - times[lo] >= l.windowMs) lo++;
        seen = Math.max(seen, hi - lo + 1);
      }
    }
    return { windowMs: l.windowMs, max: l.max, seen };
  });
  return { perWindow, recipients: byUser.size };
}

function pacingFigures(fake: FakeWecom, ms: number): CaseResult['figures'] {
  const p = pacingSeen(fake);
  const minute = p.perWindow.find((w) => w.windowMs === 60_000)!;
  const hour = p.perWindow.find((w) => w.windowMs === 3_600_000)!;
  return {
    throughput: { value: (fake.messages.length / ms) * 1000, unit: 'msg/s' },
    'max per recipient per minute': { value: minute.seen, unit: 'msg' },
    'max per recipient per hour': { value: hour.seen, unit: 'msg' },
  };
}

async function clientLoop(): Promise<CaseResult> {
  const f = await startFake();
  try {
    const client = new WecomClient({ baseUrl: f.url, ...CORP });
    client.useTokens(new TokenProvider(client, systemClock));
    const t0 = performance.now();
    for (let i = 0; i < TOTAL; i++) await client.sendMessage(recipient(i), { msgtype: 'text', text: { content: content(i) } });
    const ms = performance.now() - t0;
    return {
      ms,
      figures: pacingFigures(f.fake, ms),
      info: `${fmtInt(f.fake.messages.length)} messages received by the fake, to ${RECIPIENTS} recipients, one request at a time`,
    };
  } finally {
    await f.close();
  }
}

async function outbox(): Promise<CaseResult> {
  const dir = tempDir();
  const f = await startFake();
  let svc: Awaited<ReturnType<typeof startService>> | null = null;
  try {
    const config: Config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: `sqlite:${path.join(dir, 'outbox.db')}`,
      HOST: '127.0.0.1',
      PORT: '0',
      MEDIA_DIR: path.join(dir, 'media'),
      JOBS_ENABLED: 'false',
      WECOM_CORP_ID: CORP.corpId,
      WECOM_AGENT_ID: String(CORP.agentId),
      WECOM_SECRET: CORP.secret,
      WECOM_TOKEN: 'benchtoken',
      WECOM_ENCODING_AES_KEY: 'a'.repeat(43),
      WECOM_API_BASE: f.url,
    });
    // Queued before the service starts, round-robin over the recipients, through the store's enqueue.
    const q0 = performance.now();
    const ctx = await createContext(config);
    await ctx.db.transaction(async (trx) => {
      for (let i = 0; i < TOTAL; i++) {
        await ctx.outbox.enqueue(
          { idempotencyKey: `bench:${i}`, touser: recipient(i), purpose: 'bench', message: { msgtype: 'text', text: { content: content(i) } } },
          new Date(),
          trx,
        );
      }
    });
    await ctx.close();
    const enqueueMs = performance.now() - q0;

    const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: false }));
    const t0 = performance.now();
    svc = await startService(config, { logger });
    const limit = Date.now() + 150_000;
    while (f.fake.messages.length < TOTAL && Date.now() < limit) await sleep(10);
    const ms = performance.now() - t0;
    // The fake has the last message; let its row be recorded sent before counting (bounded).
    const s = svc;
    await waitUntil(async () => Number((await s.ctx.db('outbox').whereIn('state', ['pending', 'sending']).count({ n: '*' }))[0].n) === 0, 10_000, 20);
    const states = await svc.ctx.db('outbox').groupBy('state').select('state').count({ n: '*' });
    const attempts = Number((await svc.ctx.db('outbox').max({ a: 'attempts' }))[0].a);
    const [{ e }] = await svc.ctx.db('events').where({ type: 'message.out.sent' }).count({ e: '*' });
    return {
      ms,
      figures: pacingFigures(f.fake, ms),
      info: [
        `${fmtInt(f.fake.messages.length)} messages received by the fake; outbox rows: ${states.map((s: any) => `${fmtInt(Number(s.n))} ${s.state}`).join(', ')}; ` +
          `at most ${attempts} attempt(s) per row; ${fmtInt(Number(e))} sent events`,
        `${fmtInt(TOTAL)} enqueued beforehand in ${(enqueueMs / 1000).toFixed(1)} s (one transaction, not timed); time from startService to the last message received`,
      ].join('\n'),
    };
  } finally {
    await svc?.stop();
    await f.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const outboxSection: Section = {
  name: 'outbox',
  description:
    `${fmtInt(TOTAL)} messages (${RECIPIENTS} recipients × ${PER_RECIPIENT}) delivered by the service's outbox to the fake WeCom on 127.0.0.1 ` +
    `within WeCom's pacing (≤ 30 per recipient per minute, ≤ 1000 per hour); baseline: the same WeCom client sending them in a loop without the outbox`,
  async prepare() {
    return '';
  },
  cases: [
    { name: 'client loop, no outbox', run: () => clientLoop() },
    {
      name: 'outbox: 10,000 messages',
      baseline: 'client loop, no outbox',
      targets: [
        // At most 3× the client loop's time.
        { metric: 'throughput', minRatio: 1 / 3 },
        { metric: 'max per recipient per minute', atMost: 30 },
        { metric: 'max per recipient per hour', atMost: 1000 },
      ],
      run: () => outbox(),
    },
  ],
};
