/**
 * The client side of the sign-in bench, in a process of its own (its load does not share the
 * service's event loop): a /healthz prober at a fixed rate, and optionally 16 sign-in guessers
 * in a closed loop, for a bounded time.
 *
 * Driven over IPC by bench/sections/signin.ts:
 *   → {type:'run', baseUrl, guessers, spread, durationMs}
 *   ← {type:'done', result}
 * The process exits after answering, and by itself after MAX_LIFE_MS.
 */
import http from 'node:http';
import { percentile, sendRequest } from './support';

const MAX_LIFE_MS = 120_000;
const PROBE_EVERY_MS = 50;

export interface SideRun {
  type: 'run';
  baseUrl: string;
  /** Guessers in flight at once (0: the no-guessing baseline). */
  guessers: number;
  /**
   * 'one': every guess from one address at one username (one attacker: the throttle stops it);
   * 'many': each guess from another address at another username, under every limit (a
   * distributed attack: every guess costs a password check).
   */
  spread: 'one' | 'many';
  durationMs: number;
}

export interface SideResult {
  probes: number;
  probeFailures: number;
  p50: number;
  p99: number;
  max: number;
  guesses: number;
  statuses: Record<string, number>;
  elapsedMs: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(url: URL, method: string, body: string | null, headers: Record<string, string> = {}): Promise<number> {
  return sendRequest(agent, url, {
    method,
    headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers } : headers,
    body,
  });
}

async function run(m: SideRun): Promise<SideResult> {
  const end = Date.now() + m.durationMs;
  const health = new URL('/healthz', m.baseUrl);
  const login = new URL('/api/auth/login', m.baseUrl);
  const latencies: number[] = [];
  let probeFailures = 0;
  const statuses: Record<string, number> = {};
  let guesses = 0;

  const prober = (async () => {
    let next = performance.now();
    while (Date.now() < end) {
      const t0 = performance.now();
      try {
        const status = await request(health, 'GET', null);
        if (status !== 200) probeFailures += 1;
      } catch {
        probeFailures += 1;
      }
      latencies.push(performance.now() - t0);
      next += PROBE_EVERY_MS;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();

  const guesser = async (g: number) => {
    while (Date.now() < end) {
      const n = guesses++;
      const ip = m.spread === 'one' ? '198.51.100.1' : `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      const username = m.spread === 'one' ? 'boss' : `user${n % 5000}`;
      const body = JSON.stringify({ username, password: `guess-${g}-${n}` });
      try {
        const status = await request(login, 'POST', body, { 'X-Forwarded-For': ip });
        statuses[status] = (statuses[status] ?? 0) + 1;
      } catch {
        statuses.error = (statuses.error ?? 0) + 1;
      }
    }
  };
  const t0 = Date.now();
  await Promise.all([prober, ...Array.from({ length: m.guessers }, (_, g) => guesser(g))]);
  return {
    probes: latencies.length,
    probeFailures,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(0, ...latencies),
    guesses,
    statuses,
    elapsedMs: Date.now() - t0,
  };
}

setTimeout(() => process.exit(2), MAX_LIFE_MS).unref();
process.on('message', (m: SideRun) => {
  if (m?.type !== 'run') return;
  run(m).then(
    (result) => process.send!({ type: 'done', result }, () => process.exit(0)),
    (e) => {
      process.stderr.write(`signin-side: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
});
