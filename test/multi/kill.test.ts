/**
 * SIGKILL in the middle of sending. The service runs as a child process (`tsx src/main.ts`)
 * against a fake WeCom in this process that answers slowly, with 300 messages queued for 30
 * recipients. It is killed twice while a request is in flight and started again each time;
 * once drained, every message reached the fake exactly once: a row whose attempt was cut off is
 * resent with WeCom's duplicate check, and the fake drops those repeats, as WeCom does.
 *
 * Runs on SQLite (a file) always and on PostgreSQL when TEST_DATABASE_URL is set, concurrently:
 * each case waits about a minute for the dead process's lease on its in-flight row to expire.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, type Db } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { KnexOutboxStore } from '../../src/domain/outbox/store';
import { FakeWecom, serveFake } from '../../src/simulator/fake-wecom';
import { openTestDb, type TestDb } from '../support/db';
import { ROOT } from '../support/spawn';
import { CORP } from '../wecom/support';
import { HAS_PG, PG_SKIP_REASON, http, wecomEnv } from './support';
import { waitFor } from '../support/wait';

const RECIPIENTS = 30;
const PER_RECIPIENT = 10;
const TOTAL = RECIPIENTS * PER_RECIPIENT;
/** The fake's answer time for each message/send while the service is being killed. */
const SLOW_MS = 40;

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const f of cleanups.reverse()) await f().catch(() => undefined);
});

/** The fake WeCom on 127.0.0.1, counting requests that are being answered right now. */
async function startCountingFake(): Promise<{ fake: FakeWecom; url: string; inFlight: () => number; close(): Promise<void> }> {
  const fake = new FakeWecom({ ...CORP });
  let inFlight = 0;
  const served = await serveFake(fake, (req, res, next) => {
    if (!req.path.endsWith('/message/send')) return next();
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
    next();
  });
  return { fake, url: served.url, inFlight: () => inFlight, close: () => served.close() };
}

interface Child {
  proc: ChildProcess;
  log: () => string;
  exited: Promise<void>;
}

/** Starts `tsx src/main.ts`; resolves once it logged its address and answers /healthz. */
async function startChild(env: Record<string, string>): Promise<Child> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('WECOM_') && k !== 'DATABASE_URL') base[k] = v;
  // node itself with tsx's loader (not the tsx CLI, which runs the service in a grandchild that
  // SIGKILL would leave running): the signal hits the service's own process.
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let log = '';
  proc.stderr.on('data', (d) => (log += d.toString()));
  proc.stdout.on('data', (d) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  // pino writes one JSON object a line on stderr; the start line carries the port.
  const port = await waitFor(
    'the service to log its port',
    async () => {
      if (proc.exitCode !== null) throw new Error(`the service exited (${proc.exitCode}):\n${log}`);
      for (const line of log.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const j = JSON.parse(line);
          if (typeof j.msg === 'string' && j.msg.startsWith('rectify-bot 已启动') && typeof j.port === 'number') return j.port as number;
        } catch {
          // a partial line
        }
      }
      return null;
    },
    30_000,
  );
  await waitFor('/healthz', async () => (await http.get(`http://127.0.0.1:${port}/healthz`)).status === 200);
  return { proc, log: () => log, exited };
}

async function count(db: Db, q: (db: Db) => any): Promise<number> {
  return Number((await q(db).count({ n: '*' }))[0].n);
}

async function scenario(kind: 'sqlite' | 'postgres'): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rb-kill-${kind}-`));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  let db: Db;
  let databaseUrl: string;
  if (kind === 'postgres') {
    const tdb: TestDb = await openTestDb('postgres');
    cleanups.push(() => tdb.destroy());
    db = tdb.db;
    databaseUrl = `${tdb.url}${tdb.url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${tdb.schema}`)}`;
  } else {
    databaseUrl = `sqlite:${path.join(dir, 'rectify.db')}`;
    db = createDb(databaseUrl);
    await migrateLatest(db);
    cleanups.push(() => db.destroy());
  }
  const wecom = await startCountingFake();
  cleanups.push(() => wecom.close());
  const { fake } = wecom;
  fake.inject({ path: 'message/send', delayMs: SLOW_MS, times: 1_000_000 });

  // 300 messages queued for 30 recipients, through the outbox's own interface.
  const outbox = new KnexOutboxStore(db);
  const now = new Date();
  for (let i = 0; i < TOTAL; i++) {
    const touser = `u${String(i % RECIPIENTS).padStart(2, '0')}`;
    await outbox.enqueue({ idempotencyKey: `kill-test:${i}`, touser, purpose: 'test', message: { msgtype: 'text', text: { content: `第 ${i} 条消息` } } }, now);
  }

  const env = {
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    MEDIA_DIR: path.join(dir, 'media'),
    JOBS_ENABLED: 'false',
    ...wecomEnv(wecom.url),
  };
  const sent = () => count(db, (d) => d('outbox').where({ state: 'sent' }));

  // Two kills, each while a message/send is being answered, early on (most of the queue still waiting).
  const kills: { fakeMessages: number; sent: number; leased: number }[] = [];
  for (const threshold of [TOTAL / 10, TOTAL / 5]) {
    const child = await startChild(env);
    await waitFor(
      `${threshold} messages at the fake and one in flight`,
      async () => fake.messages.length >= threshold && wecom.inFlight() > 0,
      40_000,
    );
    child.proc.kill('SIGKILL');
    await child.exited;
    kills.push({
      fakeMessages: fake.messages.length,
      sent: await sent(),
      leased: await count(db, (d) => d('outbox').where({ state: 'sending' })),
    });
  }
  // A row was left mid-send each time (its lease held by a dead process).
  expect(kills.every((k) => k.leased >= 1)).toBe(true);
  expect(kills[1].sent).toBeGreaterThan(kills[0].sent);

  // Started again, answering fast: it drains everything, the leased rows once their lease expires.
  fake.clearFaults();
  const last = await startChild(env);
  await waitFor('the outbox to drain', async () => (await sent()) === TOTAL, 80_000);
  last.proc.kill('SIGTERM');
  await last.exited;

  // Nothing lost, nothing delivered twice.
  const rows = await db('outbox').orderBy('id');
  expect(rows.filter((r: any) => r.state !== 'sent')).toEqual([]);
  const contents = fake.messages.map((m) => `${m.touser} ${String(m.body.content)}`);
  const twice = contents.filter((c, i) => contents.indexOf(c) !== i);
  expect(twice).toEqual([]);
  expect(fake.messages.length).toBe(TOTAL);
  for (let i = 0; i < TOTAL; i++) expect(contents).toContain(`u${String(i % RECIPIENTS).padStart(2, '0')} 第 ${i} 条消息`);
  expect(new Set(fake.messages.map((m) => m.msgid))).toEqual(new Set(rows.map((r: any) => r.msgid)));
  // Every row that needed a second attempt was resent with the duplicate check, and only those.
  const resent = rows.filter((r: any) => Number(r.attempts) > 1);
  expect(resent.length).toBeGreaterThanOrEqual(1);
  expect(fake.duplicateChecked).toBe(resent.reduce((n: number, r: any) => n + Number(r.attempts) - 1, 0));
  // Each first attempt reached the fake, except where a kill fell between recording the attempt
  // and the request leaving: then the resend with the duplicate check is the only call. So the
  // calls lie between the messages and the messages plus the resends.
  expect(fake.calls['/message/send']).toBeGreaterThanOrEqual(TOTAL);
  expect(fake.calls['/message/send']).toBeLessThanOrEqual(TOTAL + fake.duplicateChecked);
  const sentEvents = await count(db, (d) => d('events').where({ type: 'message.out.sent' }));
  expect(sentEvents).toBe(TOTAL);
  console.log(`[kill ${kind}] ${TOTAL} messages, ${kills.length} kills at ${kills.map((k) => k.fakeMessages).join(' and ')} delivered, ${resent.length} rows resent with the duplicate check, ${fake.messages.length - TOTAL} duplicates`);
}

describe('SIGKILL in the middle of sending, then restart', () => {
  it.concurrent('delivers every message exactly once [sqlite]', () => scenario('sqlite'), 110_000);
  (HAS_PG ? it.concurrent : it.concurrent.skip)(
    `delivers every message exactly once [postgres]${HAS_PG ? '' : ` (${PG_SKIP_REASON})`}`,
    () => scenario('postgres'),
    110_000,
  );
});
