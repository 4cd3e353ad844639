/**
 * The database unreachable: the service (startService, simulator mode) runs on
 * PostgreSQL through a TCP proxy on 127.0.0.1 that the test takes down and brings back. During
 * the outage /healthz says 503 unhealthy, a valid signed callback gets a retryable 5xx (never a
 * false 200, so WeCom retries), the background loops log in Chinese and keep running; once the
 * database is back the service is healthy again by itself and WeCom's retry of the callback is
 * stored and processed once.
 *
 * An outage of a minute is what is meant; OUTAGE_MS keeps the test short. Nothing in the service depends on
 * the outage's length (no retry budget runs out): the pool fails fast while the database is away
 * and reconnects on the next use.
 *
 * Two kinds of outage: the port refuses connections (PostgreSQL down), and a black hole that
 * accepts connections and never answers (a network partition), which only timeouts can end.
 * PostgreSQL only: skipped without TEST_DATABASE_URL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import axios from 'axios';
import pino from 'pino';
import { buildJobs } from '../../src/jobs';
import { JobRunner } from '../../src/jobs/runner';
import { Scheduler } from '../../src/jobs/scheduler';
import { actionXml, buildCallback, randomMsgId } from '../../src/simulator/callback-client';
import { startService, type RunningService } from '../../src/service';
import { encryptMessage } from '../../src/wecom/callback/cipher';
import { sign } from '../../src/wecom/callback/signature';
import { testConfig } from '../support/config';
import { openTestDb, type TestDb } from '../support/db';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor as waitForEvery } from '../support/wait';

/** How long each outage lasts (a minute, shortened: see above). */
const OUTAGE_MS = 4_000;

const PG = process.env.TEST_DATABASE_URL;
const describePg = PG ? describe : describe.skip;
if (!PG) {
  console.warn('[db-outage] skipped: TEST_DATABASE_URL is not set (the outage test needs PostgreSQL)');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls every 100 ms: a probe during an outage is itself a connection attempt. */
const waitFor = <T>(what: string, probe: () => Promise<T | null | undefined | false>) => waitForEvery(what, probe, 20_000, 100);

describePg('database unreachable', () => {
  jest.setTimeout(90_000);
  let t: TestDb;
  let proxy: TcpProxy;
  let svc: RunningService;
  let dir: string;
  const logs: { level: number; msg: string; loop?: string; err?: unknown }[] = [];
  // WeCom gives a callback 5 seconds.
  const http = axios.create({ validateStatus: () => true, proxy: false, timeout: 5_000 });

  beforeAll(async () => {
    t = await openTestDb('postgres');
    const target = new URL(PG!);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const port = await proxy.start();
    const proxied = new URL(PG!);
    proxied.host = `127.0.0.1:${port}`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rb-outage-'));
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        cb();
      },
    });
    await t.db('contacts').insert({ wecom_userid: 'zhangsan', name: '张三', role: 'primary', reachable: true, active: true, created_at: 0, updated_at: 0 });
    svc = await startService(testConfig({ PORT: '0', DATABASE_URL: proxied.toString(), MEDIA_DIR: dir, JOBS_ENABLED: 'false' }), {
      dbOptions: { schema: t.schema },
      logger: pino({ level: 'info' }, sink),
      pollIntervalMs: 100,
      registerHandlers: (chat) => chat.fallback((m, ctx) => ctx.reply(`收到：${m.content}`)),
    });
  });

  afterAll(async () => {
    await proxy?.restore();
    await svc?.stop();
    await proxy?.close();
    await t?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const healthz = () => http.get(`${svc.baseUrl}/healthz`);
  const callback = (content: string, msgId: string) => {
    const creds = svc.wecom.credentials;
    const now = Math.floor(Date.now() / 1000);
    // Each delivery has its own nonce and signature, as WeCom's retries do.
    const cb = buildCallback(creds, actionXml(creds, { fromUserid: 'zhangsan', kind: 'text', content, msgId, createTimeS: now }), now);
    return http.post(`${svc.baseUrl}/wecom/callback`, cb.body, { params: cb.query, headers: { 'Content-Type': 'text/xml' } });
  };
  const verify = async () => {
    const creds = svc.wecom.credentials;
    const echostr = encryptMessage(creds.encodingAesKey, 'echo-1234', creds.corpId);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await http.get(`${svc.baseUrl}/wecom/callback`, {
      params: { msg_signature: sign(creds.token, timestamp, '42', echostr), timestamp, nonce: '42', echostr },
      responseType: 'text',
    });
    expect(res.data).toBe('echo-1234');
    return res;
  };
  const replies = (content: string) => svc.wecom.fake!.messagesFor('zhangsan').filter((m) => m.body.content === `收到：${content}`);
  const stored = async (msgId: string) => t.db('inbound_messages').where({ msg_id: msgId });

  /** Runs one outage: every probe during it must be unhealthy, every callback a 5xx. */
  async function outage(kind: 'refuse' | 'blackhole', content: string, msgId: string) {
    const logsBefore = logs.length;
    await (kind === 'refuse' ? proxy.refuse() : proxy.blackhole());
    const start = Date.now();
    const statuses = { healthz: new Set<number>(), callback: new Set<number>() };
    let probes = 0;
    while (Date.now() - start < OUTAGE_MS || probes < 2) {
      const [h, c] = await Promise.all([healthz(), callback(content, msgId)]);
      statuses.healthz.add(h.status);
      statuses.callback.add(c.status);
      if (h.status !== 503) throw new Error(`healthz answered ${h.status} during the outage`);
      expect(h.data).toMatchObject({ status: 'unhealthy', message: '数据库不可用' });
      expect(c.status).toBe(503);
      expect(c.data).toMatchObject({ error: 'unavailable' });
      expect(c.data.message).toMatch(/[\u4e00-\u9fff]/);
      // URL verification needs no database: still answered.
      expect((await verify()).status).toBe(200);
      probes += 1;
    }
    // The background loops met the outage, said so in Chinese, and are still scheduled.
    const during = logs.slice(logsBefore);
    for (const loop of ['outbox', 'inbound']) {
      const errs = during.filter((l) => l.level >= 50 && l.loop === loop);
      expect(errs.length).toBeGreaterThan(0);
      for (const e of errs) expect(e.msg).toMatch(/[\u4e00-\u9fff]/);
    }
    await proxy.restore();
    await waitFor('healthz 200 after the outage', async () => (await healthz()).status === 200);
    return { probes, statuses };
  }

  it('refused connections: unhealthy and 503 during the outage, healthy and processed once after', async () => {
    // Before: a message goes all the way through.
    const before = randomMsgId();
    expect((await callback('之前', before)).status).toBe(200);
    await waitFor('the reply before the outage', async () => replies('之前').length === 1);

    const msgId = randomMsgId();
    const r = await outage('refuse', '停机期间', msgId);
    expect(r.probes).toBeGreaterThanOrEqual(2);
    expect(await stored(msgId)).toHaveLength(0);

    // WeCom retries: stored, processed and answered once, however many times it is delivered.
    expect((await callback('停机期间', msgId)).status).toBe(200);
    expect((await callback('停机期间', msgId)).status).toBe(200);
    await waitFor('the reply after the outage', async () => replies('停机期间').length === 1);
    await waitFor('the message done', async () => (await stored(msgId))[0]?.state === 'done');
    expect(await stored(msgId)).toHaveLength(1);
    await sleep(300); // a few more loop rounds: still one reply
    expect(replies('停机期间')).toHaveLength(1);
    expect(replies('之前')).toHaveLength(1);
  });

  it('a black hole (connections accepted, never answered): the same, ended by timeouts', async () => {
    const msgId = randomMsgId();
    await outage('blackhole', '网络中断', msgId);
    expect(await stored(msgId)).toHaveLength(0);
    expect((await callback('网络中断', msgId)).status).toBe(200);
    await waitFor('the reply after the partition', async () => replies('网络中断').length === 1);
    await waitFor('the message done', async () => (await stored(msgId))[0]?.state === 'done');
    expect(await stored(msgId)).toHaveLength(1);
  });

  it('the scheduler logs a failed tick in Chinese and its runner ticks again once the database is back', async () => {
    const runner = new JobRunner(svc.ctx, buildJobs(svc.ctx));
    const scheduler = new Scheduler(runner, svc.ctx.clock, svc.ctx.config.businessTz, svc.ctx.logger);
    const logsBefore = logs.length;
    await proxy.refuse();
    try {
      scheduler.start(); // ticks at once
      const failed = await waitFor('the failed tick in the log', async () =>
        logs.slice(logsBefore).find((l) => l.level >= 50 && /定时任务/.test(l.msg)),
      );
      expect(failed.msg).toMatch(/[\u4e00-\u9fff]/);
    } finally {
      await proxy.restore();
    }
    await waitFor('healthz 200', async () => (await healthz()).status === 200);
    const report = await runner.tick(svc.ctx.clock.now());
    expect(report.jobs.length).toBeGreaterThan(0);
    for (const j of report.jobs) expect(['ran', 'skipped']).toContain(j.status);
    await scheduler.stop();
  });

  it('a job the outage interrupts (its end and its lock release fail) runs its slot again once the database is back', async () => {
    let runs = 0;
    const job = {
      name: 'outage_probe',
      title: '停机探测',
      cron: '* * * * *',
      async run() {
        runs += 1;
        if (runs === 1) await proxy.refuse(); // the database goes away mid-run
        return { runs };
      },
    };
    const runner = new JobRunner(svc.ctx, [job]);
    const at = svc.ctx.clock.now();
    try {
      await expect(runner.tick(at)).rejects.toThrow();
    } finally {
      await proxy.restore();
    }
    await waitFor('healthz 200', async () => (await healthz()).status === 200);
    const again = await runner.tick(at);
    expect(again.jobs[0]).toMatchObject({ status: 'ran', result: { runs: 2 } });
    expect((await runner.tick(at)).jobs[0].status).toBe('already_done');
    expect(await t.db('job_runs').where({ job: 'outage_probe' })).toEqual([expect.objectContaining({ status: 'done', attempts: 2 })]);
  });
});
