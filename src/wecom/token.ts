/**
 * The access token: cached until shortly before it expires, refreshed by one request shared by
 * every concurrent caller (single flight), dropped on 40014/42001 by the client.
 */
import type { Clock } from '../clock';

export interface TokenSource {
  fetchToken(): Promise<{ accessToken: string; expiresInS: number }>;
}

export class TokenProvider {
  private token: string | null = null;
  private expiresAt = 0;
  private inflight: Promise<string> | null = null;
  /** How many times gettoken was called (observability and tests). */
  fetches = 0;

  constructor(
    private readonly source: TokenSource,
    private readonly clock: Clock,
    /** Refresh this long before the announced expiry (default 5 min). */
    private readonly marginMs = 5 * 60_000,
  ) {}

  async get(): Promise<string> {
    if (this.token && this.clock.now().getTime() < this.expiresAt) return this.token;
    if (!this.inflight) {
      this.inflight = this.refresh().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  /** Drops the cached token if it is still the one that failed (a newer one is kept). */
  invalidate(failed?: string): void {
    if (failed === undefined || failed === this.token) {
      this.token = null;
      this.expiresAt = 0;
    }
  }

  private async refresh(): Promise<string> {
    this.fetches += 1;
    const { accessToken, expiresInS } = await this.source.fetchToken();
    const full = Math.max(0, expiresInS * 1000);
    // A short-lived token (tests, odd deployments) is kept for half its life instead.
    const lifetime = full > 2 * this.marginMs ? full - this.marginMs : full / 2;
    this.token = accessToken;
    this.expiresAt = this.clock.now().getTime() + lifetime;
    return accessToken;
  }
}
