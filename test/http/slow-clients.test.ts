/**
 * Slow clients are cut off by the configured limits (HTTP_*): a header trickle after
 * HTTP_HEADERS_TIMEOUT_MS, a body trickle after HTTP_REQUEST_TIMEOUT_MS, an idle keep-alive
 * connection after HTTP_KEEP_ALIVE_TIMEOUT_MS, and connections beyond HTTP_MAX_CONNECTIONS are
 * refused. The limits here are short; each check waits several times longer than its limit
 * (and far less than Node's own defaults of 60 s and 300 s) before calling the connection held.
 */
import net from 'node:net';
import { startService, type RunningService } from '../../src/service';
import { testConfig } from '../support/config';

const HEADERS_MS = 1000;
const REQUEST_MS = 2000;
const KEEP_ALIVE_MS = 500;
const MAX_CONNECTIONS = 20;

interface Outcome {
  /** What the server sent before closing. */
  received: string;
  /** Closed by the server within the wait. */
  closed: boolean;
}

/** Connects, sends `first`, then `drip()` every `everyMs` until the server closes or `waitMs` passes. */
function trickle(port: number, first: string, drip: () => string, everyMs: number, waitMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(limit);
      socket.destroy();
      resolve({ received, closed });
    };
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(drip());
    }, everyMs);
    const limit = setTimeout(() => finish(false), waitMs);
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(first);
  });
}

describe('slow clients', () => {
  let svc: RunningService;
  beforeAll(async () => {
    svc = await startService(
      testConfig({
        PORT: '0',
        JOBS_ENABLED: 'false',
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
        HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      }),
    );
  });
  afterAll(() => svc?.stop());

  it('closes a connection whose headers trickle in, with 408', async () => {
    let n = 0;
    const out = await trickle(svc.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', () => `X-Slow-${n++}: a\r\n`, 100, HEADERS_MS * 8);
    expect(out.closed).toBe(true);
    expect(out.received).toMatch(/^HTTP\/1\.1 408/);
  }, 20_000);

  it('closes a request whose body trickles in, with 408', async () => {
    const head = 'POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{';
    const out = await trickle(svc.port, head, () => ' ', 100, REQUEST_MS * 6);
    expect(out.closed).toBe(true);
    expect(out.received).toMatch(/^HTTP\/1\.1 408/);
  }, 20_000);

  it('closes an idle keep-alive connection after its answer', async () => {
    const out = await trickle(svc.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n', () => '', 10_000, KEEP_ALIVE_MS * 16);
    expect(out.closed).toBe(true);
    expect(out.received).toMatch(/^HTTP\/1\.1 200/);
  }, 20_000);

  it('refuses connections beyond the maximum, and serves again once they are gone', async () => {
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS; i++) {
        const s = net.connect(svc.port, '127.0.0.1');
        await new Promise<void>((resolve) => s.once('connect', () => resolve()));
        s.on('error', () => undefined);
        s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // headers not finished: held open
        held.push(s);
      }
      // Let the server accept them all before the next one arrives.
      await new Promise((r) => setTimeout(r, 200));
      const extra = await trickle(svc.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', () => '', 10_000, HEADERS_MS / 2);
      expect(extra.closed).toBe(true);
      expect(extra.received).toBe('');
    } finally {
      for (const s of held) s.destroy();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${svc.baseUrl}/healthz`)).status).toBe(200);
  }, 20_000);
});
