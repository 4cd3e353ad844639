/**
 * POST /wecom/callback of the real service (startService: Express, the callback route, the
 * SQLite file store, the inbound processor and outbox replying through a fake WeCom), loaded from
 * another process over keep-alive HTTP on 127.0.0.1 with signed, encrypted text messages, each
 * with its own MsgId. Against a floor: signature check + decrypt + one insert into
 * inbound_messages, in a loop, in one process, no HTTP.
 */
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { loadConfig, type WecomCredentials } from '../../src/config';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { createLogger } from '../../src/logger';
import { startService } from '../../src/service';
import { actionXml, buildCallback } from '../../src/simulator/callback-client';
import { decryptMessage } from '../../src/wecom/callback/cipher';
import { parseOuterEnvelope } from '../../src/wecom/callback/envelope';
import { verifySignature } from '../../src/wecom/callback/signature';
import type { Phase, PhaseResult } from '../wecom-side';
import { fmtInt, percentile, tempDir, waitUntil } from '../support';
import type { Section } from '../section';

/** Requests of the saturation run and iterations of the floor loop: the same, so times compare. */
const N = 10_000;
const RATE = 500;
const RATE_SECONDS = 10;
const SENDERS = 1000;

function credentials(): WecomCredentials {
  return {
    corpId: 'wwbenchcorp',
    agentId: 1000002,
    secret: crypto.randomBytes(16).toString('hex'),
    token: crypto.randomBytes(12).toString('hex'),
    encodingAesKey: crypto.randomBytes(32).toString('base64').slice(0, 43),
  };
}

async function floor(): Promise<{ ms: number; figures: Record<string, { value: number; unit: string; digits?: number }>; info: string }> {
  const dir = tempDir();
  const db = createDb(`sqlite:${path.join(dir, 'floor.db')}`);
  try {
    await migrateLatest(db);
    const creds = credentials();
    const nowS = Math.floor(Date.now() / 1000);
    const prepared = Array.from({ length: N }, (_, i) => {
      const cb = buildCallback(
        creds,
        actionXml(creds, { fromUserid: `bench${i % SENDERS}`, kind: 'text', content: `收到，第 ${i} 条`, msgId: String(1e15 + i), createTimeS: nowS }),
        nowS,
      );
      // The envelope's Encrypt is what gets signed and decrypted; extracting it is not the floor's work.
      return { ...cb.query, encrypt: parseOuterEnvelope(cb.body).encrypt };
    });
    const per: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const s = performance.now();
      const c = prepared[i];
      if (!verifySignature(creds.token, c.timestamp, c.nonce, c.encrypt, c.msg_signature)) throw new Error('floor: bad signature');
      const plain = decryptMessage(creds.encodingAesKey, c.encrypt, creds.corpId);
      await db('inbound_messages').insert({
        dedupe_key: `msg:${1e15 + i}`,
        from_userid: `bench${i % SENDERS}`,
        msg_type: 'text',
        raw: plain,
        state: 'pending',
        attempts: 0,
        next_attempt_at: Date.now(),
        received_at: Date.now(),
      });
      per.push(performance.now() - s);
    }
    const ms = performance.now() - t0;
    const [{ n }] = await db('inbound_messages').count({ n: '*' });
    return {
      ms,
      figures: {
        throughput: { value: (N / ms) * 1000, unit: 'op/s' },
        'p50 per op': { value: percentile(per, 50), unit: 'ms', digits: 2 },
        'p99 per op': { value: percentile(per, 99), unit: 'ms', digits: 2 },
      },
      info: `${fmtInt(Number(n))} rows inserted, one at a time (autocommit), SQLite file in WAL mode`,
    };
  } finally {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The WeCom side (fake API + callback sender) in its own process. */
class WecomSide {
  private readonly proc: ChildProcess;
  private waiting: { type: string; resolve: (m: any) => void; reject: (e: Error) => void } | null = null;

  constructor() {
    this.proc = fork(path.resolve(__dirname, '..', 'wecom-side.ts'), [], {
      execArgv: ['--import', 'tsx'],
      cwd: path.resolve(__dirname, '..', '..'),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m: any) => {
      if (this.waiting && m?.type === this.waiting.type) {
        const w = this.waiting;
        this.waiting = null;
        w.resolve(m);
      }
    });
    this.proc.on('exit', (code) => {
      const w = this.waiting;
      this.waiting = null;
      w?.reject(new Error(`wecom-side exited with ${code}`));
    });
  }

  request<T>(message: unknown, answer: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting = { type: answer, resolve, reject };
      this.proc.send(message as object);
    });
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.send({ type: 'exit' });
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}

async function service() {
  const dir = tempDir();
  const creds = credentials();
  const side = new WecomSide();
  let svc: Awaited<ReturnType<typeof startService>> | null = null;
  try {
    const { url: fakeUrl } = await side.request<{ url: string }>({ type: 'init', creds }, 'fake');
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: `sqlite:${path.join(dir, 'service.db')}`,
      HOST: '127.0.0.1',
      PORT: '0',
      MEDIA_DIR: path.join(dir, 'media'),
      JOBS_ENABLED: 'false',
      WECOM_CORP_ID: creds.corpId,
      WECOM_AGENT_ID: String(creds.agentId),
      WECOM_SECRET: creds.secret,
      WECOM_TOKEN: creds.token,
      WECOM_ENCODING_AES_KEY: creds.encodingAesKey,
      WECOM_API_BASE: fakeUrl,
    });
    // Logging as in production (info, JSON), into /dev/null.
    const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: false }));
    svc = await startService(config, { logger });
    const callbackUrl = `${svc.baseUrl}/wecom/callback`;
    const s = svc;
    const pending = async () =>
      Number((await s.ctx.db('inbound_messages').whereIn('state', ['pending', 'processing']).count({ n: '*' }))[0].n);
    const run = async (phase: Phase, drainLimitMs: number) => {
      // How long the service's event loop was held up while the phase ran.
      const eld = monitorEventLoopDelay({ resolution: 5 });
      eld.enable();
      const { result } = await side.request<{ result: PhaseResult }>({ type: 'phase', phase, callbackUrl, creds }, 'phase-done');
      eld.disable();
      const loopP99 = eld.percentile(99) / 1e6;
      // Let the processor catch up (bounded), so one phase's backlog loads the next one less.
      const t0 = Date.now();
      const drained = drainLimitMs > 0 && (await waitUntil(async () => (await pending()) === 0, drainLimitMs, 100));
      return { result, drainMs: Date.now() - t0, drained, left: await pending(), loopP99 };
    };
    let msgId = 1e15;
    const phase = (p: Omit<Phase, 'firstMsgId' | 'senders'>): Phase => {
      const out = { ...p, firstMsgId: msgId, senders: SENDERS };
      msgId += p.count;
      return out;
    };
    const started = Date.now();
    const warm = await run(phase({ name: 'warm-up', kind: 'closed', count: 500, concurrency: 4, maxMs: 10_000 }), 20_000);
    const rate = await run(phase({ name: 'rate', kind: 'rate', count: RATE * RATE_SECONDS, rate: RATE, maxMs: RATE_SECONDS * 1000 + 2000 }), 15_000);
    const sat = await run(phase({ name: 'saturation', kind: 'closed', count: N, concurrency: 16, maxMs: 30_000 }), 0);
    const stored = Number((await s.ctx.db('inbound_messages').count({ n: '*' }))[0].n);
    const handled = Number((await s.ctx.db('inbound_messages').where({ state: 'done' }).count({ n: '*' }))[0].n);
    const handledPerS = handled / ((Date.now() - started) / 1000);
    const accepted = warm.result.ok + rate.result.ok + sat.result.ok;
    const replies = Number((await s.ctx.db('outbox').count({ n: '*' }))[0].n);
    const bad = (r: PhaseResult) =>
      Object.entries(r.statuses)
        .filter(([k]) => k !== '200')
        .map(([k, v]) => `${v}×${k}`)
        .concat(r.errors ? [`${r.errors} errors (${r.errorKinds.join(', ')})`] : [])
        .join(', ') || 'none';
    const drain = (d: { drainMs: number; drained: boolean; left: number }) =>
      d.drained ? `cleared ${(d.drainMs / 1000).toFixed(1)} s after` : `${fmtInt(d.left)} rows still waiting ${(d.drainMs / 1000).toFixed(0)} s after`;
    return {
      ms: sat.result.elapsedMs,
      figures: {
        throughput: { value: sat.result.throughput, unit: 'req/s' },
        'p50 @500/s': { value: rate.result.p50, unit: 'ms', digits: 1 },
        'p99 @500/s': { value: rate.result.p99, unit: 'ms', digits: 1 },
        'achieved @500/s': { value: rate.result.throughput, unit: 'req/s' },
      },
      info: [
        `${RATE} req/s for ${RATE_SECONDS} s: ${fmtInt(rate.result.ok)}/${fmtInt(rate.result.sent)} answered 200, not 200: ${bad(rate.result)}, ` +
          `p90 ${rate.result.p90.toFixed(1)} ms, max ${rate.result.max.toFixed(1)} ms (the sender's own lag behind its schedule: ` +
          `p99 ${rate.result.lagP99.toFixed(1)} ms; the service's event-loop delay: p99 ${rate.loopP99.toFixed(1)} ms); ` +
          `processor backlog ${drain(rate)}`,
        `saturation (16 in flight, ${fmtInt(N)} requests): ${fmtInt(sat.result.ok)} answered 200 in ${(sat.result.elapsedMs / 1000).toFixed(1)} s, ` +
          `not 200: ${bad(sat.result)}, p50 ${sat.result.p50.toFixed(1)} ms, p99 ${sat.result.p99.toFixed(1)} ms; processor backlog ${drain(sat)}`,
        `${fmtInt(stored)} rows in inbound_messages for ${fmtInt(accepted)} accepted callbacks; the processor (same process and SQLite file; ` +
          `callbacks are stored through a connection of their own) handled ${fmtInt(handled)} of them meanwhile (${handledPerS.toFixed(0)}/s: each is claimed, answered 未绑定 through the outbox ` +
          `and sent to the fake); ${fmtInt(replies)} rows in the outbox`,
      ].join('\n'),
    };
  } finally {
    await svc?.stop();
    await side.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const callbackSection: Section = {
  name: 'callback',
  description:
    `POST /wecom/callback of the running service over keep-alive HTTP on 127.0.0.1 (load from another process), ` +
    `${RATE} req/s for ${RATE_SECONDS} s, then ${fmtInt(N)} requests at saturation; ` +
    `floor: signature + decrypt + one insert in a loop (targets: throughput ≥ 60% of the floor, p99 < 50 ms at ${RATE} req/s)`,
  async prepare() {
    return '';
  },
  cases: [
    { name: 'floor: verify+decrypt+insert', run: () => floor() },
    {
      name: 'service: POST /wecom/callback',
      baseline: 'floor: verify+decrypt+insert',
      targets: [
        { metric: 'throughput', minRatio: 0.6 },
        { metric: 'p99 @500/s', max: 50 },
      ],
      run: () => service(),
    },
  ],
};
