/** Small helpers shared by the bench sections. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export function tempDir(prefix = 'rectify-bench-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The p-th percentile (0–100) of `values` (nearest rank); 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const nowMs = (): number => performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it is truthy or `limitMs` passes; returns whether it became truthy. */
export async function waitUntil(probe: () => Promise<boolean>, limitMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + limitMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}

/** The PostgreSQL the bench may use (its own schemas, dropped afterwards), or null. */
export function benchPgUrl(): string | null {
  return process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || null;
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en');

/**
 * One HTTP request to 127.0.0.1 through `agent` (keep-alive), its body drained; resolves with
 * the status, rejects on a socket error or after 10 s without an answer.
 */
export function sendRequest(
  agent: http.Agent,
  url: URL,
  r: { method: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer | null },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: r.path ?? url.pathname, method: r.method, agent, headers: r.headers ?? {}, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(r.body ?? undefined);
  });
}
