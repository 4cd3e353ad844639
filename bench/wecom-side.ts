/**
 * The WeCom side of the callback bench, in a process of its own (so the load it generates does
 * not share the service's event loop): the fake WeCom API the service replies through, and the
 * sender of signed, encrypted callbacks to the service's POST /wecom/callback on 127.0.0.1.
 *
 * Driven over IPC by bench/sections/callback.ts:
 *   ← {type:'fake', url}                       once the fake API listens
 *   → {type:'phase', phase, callbackUrl}       run one load phase
 *   ← {type:'phase-done', result}
 *   → {type:'exit'}
 * Every phase is bounded in count and in time; the process exits by itself after MAX_LIFE_MS.
 */
import http from 'node:http';
import type { WecomCredentials } from '../src/config';
import { actionXml, buildCallback, type SignedCallback } from '../src/simulator/callback-client';
import { FakeWecom, serveFake, type ServedFake } from '../src/simulator/fake-wecom';
import { percentile, sendRequest } from './support';

const MAX_LIFE_MS = 150_000;

export interface Phase {
  name: string;
  /** 'rate': open loop, one request every 1000/rate ms; 'closed': `concurrency` requests always in flight. */
  kind: 'rate' | 'closed';
  count: number;
  rate?: number;
  concurrency?: number;
  /** Stop sending after this long even if `count` is not reached. */
  maxMs: number;
  /** MsgIds of this phase start here (distinct across phases). */
  firstMsgId: number;
  senders: number;
}

export interface PhaseResult {
  name: string;
  sent: number;
  ok: number;
  statuses: Record<string, number>;
  errors: number;
  elapsedMs: number;
  throughput: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** p99 of how late requests left compared with their schedule. */
  lagP99: number;
  errorKinds: string[];
  buildMs: number;
}

type Msg = { type: 'phase'; phase: Phase; callbackUrl: string; creds: WecomCredentials } | { type: 'exit' } | { type: 'init'; creds: WecomCredentials };

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(url: URL, cb: SignedCallback): Promise<number> {
  const body = Buffer.from(cb.body, 'utf8');
  return sendRequest(agent, url, {
    method: 'POST',
    path: `${url.pathname}?${new URLSearchParams(cb.query).toString()}`,
    headers: { 'Content-Type': 'text/xml', 'Content-Length': body.length },
    body,
  });
}

async function runPhase(p: Phase, callbackUrl: string, creds: WecomCredentials): Promise<PhaseResult> {
  const url = new URL(callbackUrl);
  // Built up front: the sender's own crypto must not delay the schedule.
  const b0 = performance.now();
  const nowS = Math.floor(Date.now() / 1000);
  const callbacks: SignedCallback[] = [];
  for (let i = 0; i < p.count; i++) {
    const inner = actionXml(creds, {
      fromUserid: `bench${String(i % p.senders).padStart(4, '0')}`,
      kind: 'text',
      content: `收到，第 ${i} 条`,
      msgId: String(p.firstMsgId + i),
      createTimeS: nowS,
    });
    callbacks.push(buildCallback(creds, inner, nowS));
  }
  const buildMs = performance.now() - b0;

  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let sent = 0;
  let lastEnd = 0;
  const start = performance.now() + 10;
  const deadline = start + p.maxMs;
  // How late the sender itself was (its event loop, or a CPU shared with the service).
  const sendLag: number[] = [];
  const errorKinds: Record<string, 1> = {};
  const one = async (i: number, scheduled: number) => {
    sent += 1;
    const t1 = performance.now();
    try {
      const status = await post(url, callbacks[i]);
      statuses[status] = (statuses[status] ?? 0) + 1;
    } catch (e) {
      errors += 1;
      errorKinds[(e as NodeJS.ErrnoException).code ?? (e as Error).message] = 1;
    }
    sendLag.push(t1 - scheduled);
    lastEnd = performance.now();
    // From the scheduled instant, so a stalled service cannot hide its queueing (coordinated omission).
    latencies.push(lastEnd - scheduled);
  };

  if (p.kind === 'rate') {
    const interval = 1000 / p.rate!;
    const inflight: Promise<void>[] = [];
    await new Promise<void>((resolve) => {
      let next = 0;
      const tick = () => {
        const now = performance.now();
        while (next < p.count && start + next * interval <= now) {
          inflight.push(one(next, start + next * interval));
          next += 1;
        }
        if (next >= p.count || now > deadline) return resolve();
        setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
      };
      setTimeout(tick, Math.max(0, start - performance.now()));
    });
    await Promise.all(inflight);
  } else {
    let next = 0;
    while (performance.now() < start) await new Promise((r) => setImmediate(r));
    const worker = async () => {
      while (next < p.count && performance.now() < deadline) {
        const i = next++;
        await one(i, performance.now());
      }
    };
    await Promise.all(Array.from({ length: p.concurrency ?? 1 }, worker));
  }
  const elapsedMs = lastEnd - start;
  const ok = statuses['200'] ?? 0;
  return {
    name: p.name,
    sent,
    ok,
    statuses,
    errors,
    elapsedMs,
    throughput: elapsedMs > 0 ? (ok / elapsedMs) * 1000 : 0,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    lagP99: percentile(sendLag, 99),
    errorKinds: Object.keys(errorKinds),
    buildMs,
  };
}

async function main(): Promise<void> {
  const life = setTimeout(() => {
    process.stderr.write('wecom-side: lived too long, exiting\n');
    process.exit(2);
  }, MAX_LIFE_MS);
  life.unref();
  process.on('disconnect', () => process.exit(0));
  let served: ServedFake | null = null;
  // Every failure is caught and ends the process with its message.
  const handle = async (m: Msg): Promise<void> => {
    try {
      if (m.type === 'init') {
        const fake = new FakeWecom({ corpId: m.creds.corpId, secret: m.creds.secret, agentId: m.creds.agentId });
        served = await serveFake(fake);
        process.send!({ type: 'fake', url: served.url });
      } else if (m.type === 'phase') {
        const result = await runPhase(m.phase, m.callbackUrl, m.creds);
        process.send!({ type: 'phase-done', result });
      } else if (m.type === 'exit') {
        agent.destroy();
        await served?.close();
        process.exit(0);
      }
    } catch (e) {
      process.stderr.write(`wecom-side: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    }
  };
  process.on('message', (m: Msg) => void handle(m));
}

void main();
