/**
 * A TCP proxy on 127.0.0.1 in front of a real server (the tests' PostgreSQL), which a test can
 * take down and bring back to make the database unreachable without touching the database:
 * - `refuse()`: stop listening and cut every connection (the host is up, the port is closed);
 * - `blackhole()`: cut every connection, then accept new ones and never answer (a partition);
 * - `restore()`: forward again, on the same port.
 */
import net, { type Socket } from 'node:net';

export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<Socket>();
  mode: ProxyMode = 'forward';
  port = 0;
  /** Connections accepted while forwarding (the service reconnecting shows here). */
  forwarded = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    await this.listen();
    return this.port;
  }

  async refuse(): Promise<void> {
    this.mode = 'refuse';
    const server = this.server;
    this.server = null;
    this.cut();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async blackhole(): Promise<void> {
    this.mode = 'blackhole';
    this.cut();
    if (!this.server) await this.listen();
  }

  async restore(): Promise<void> {
    // Connections held by the black hole are cut: their clients see a reset, not a late answer.
    this.cut();
    this.mode = 'forward';
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private cut(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => {
      this.track(client);
      if (this.mode === 'blackhole') return; // accepted, never answered
      this.forwarded += 1;
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }
}
