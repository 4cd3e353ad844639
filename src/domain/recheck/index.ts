/** Builds the re-check service from the configuration (the composition root calls this). */
import type { Knex } from 'knex';
import type { ConsoleLinks } from '../messages/links';
import type { Logger } from '../../logger';
import type { OrderMessaging } from '../conversation/parts';
import { ChromiumScreenshotter, findBrowser, type Screenshotter } from './browser';
import { SiteChecker } from './checker';
import { PoliteFetcher } from './fetcher';
import { AddressGuard, parseAllowList, type LookupAll } from './guard';
import { RecheckService } from './service';
import { KnexRecheckStore } from './store';

export interface RecheckConfig {
  userAgent: string;
  timeoutMs: number;
  maxBytes: number;
  slowMs: number;
  maxLinks: number;
  concurrency: number;
  reviewWaitMs: number;
  /** Private or loopback addresses an admin allows ("127.0.0.1, 10.1.0.0/16"). */
  allowAddresses: string;
  /** "auto", "off" or a browser's path. */
  browser: string;
}

/** ASCII only: HTTP header values are bytes. */
export const DEFAULT_USER_AGENT = 'rectify-bot-recheck/0.1 (+automatic re-check of government websites flagged in inspections)';

export function buildFetcher(c: RecheckConfig, opts: { lookup?: LookupAll; ca?: string[] } = {}): PoliteFetcher {
  return new PoliteFetcher({
    userAgent: c.userAgent,
    timeoutMs: c.timeoutMs,
    maxBytes: c.maxBytes,
    maxRedirects: 10,
    concurrency: c.concurrency,
    guard: new AddressGuard(parseAllowList(c.allowAddresses)),
    lookup: opts.lookup,
    ca: opts.ca,
  });
}

export function buildScreenshotter(c: RecheckConfig, opts: { lookup?: LookupAll } = {}): Screenshotter | null {
  const exe = findBrowser(c.browser);
  if (!exe) return null;
  const proxy = process.env.HTTPS_PROXY || process.env.https_proxy || process.env.HTTP_PROXY || process.env.http_proxy || null;
  return new ChromiumScreenshotter(exe, new AddressGuard(parseAllowList(c.allowAddresses)), { timeoutMs: c.timeoutMs, userAgent: c.userAgent, proxy, lookup: opts.lookup });
}

export function buildChecker(c: RecheckConfig, zone: string, fetcher: PoliteFetcher, browser: Screenshotter | null): SiteChecker {
  return new SiteChecker(fetcher, { slowMs: c.slowMs, maxLinks: c.maxLinks, tlsWarnDays: 30, zone }, browser);
}

export interface RecheckDeps extends OrderMessaging {
  db: Knex;
  config: RecheckConfig;
  zone: string;
  mediaDir: string;
  /** The console's address for links (consoleLink). */
  links: ConsoleLinks;
  logger: Logger;
}

export interface RecheckModule {
  service: RecheckService;
  checker: SiteChecker;
  close(): Promise<void>;
}

export function buildRecheck(d: RecheckDeps): RecheckModule {
  const fetcher = buildFetcher(d.config);
  const browser = buildScreenshotter(d.config);
  const checker = buildChecker(d.config, d.zone, fetcher, browser);
  const { views, contacts, templates, messenger, events, clock, logger } = d;
  const service = new RecheckService({
    views, contacts, templates, messenger, events, clock, logger,
    store: new KnexRecheckStore(d.db),
    checker,
    settings: { reviewWaitMs: d.config.reviewWaitMs, mediaDir: d.mediaDir, zone: d.zone, links: d.links, parallel: Math.max(1, Math.min(8, d.config.concurrency)) },
  });
  return {
    service,
    checker,
    async close() {
      await Promise.all([fetcher.close(), browser?.close()]);
    },
  };
}
