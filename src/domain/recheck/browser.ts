/**
 * Screenshots of a re-checked page with a headless Chromium (playwright-core over the system's
 * browser, e.g. Debian's /usr/bin/chromium). Every request the page makes goes through the same
 * address guard as the re-check's own requests. Without a browser, a re-check keeps the HTML only.
 */
import fs from 'node:fs';
import ipaddr from 'ipaddr.js';
import type { AddressGuard, LookupAll } from './guard';
import { systemLookup } from './guard';

export interface Screenshotter {
  capture(url: string): Promise<{ png: Buffer | null; note: string | null }>;
  close(): Promise<void>;
}

/** Where a browser is, from RECHECK_BROWSER ("auto": the usual Debian paths; "off": none). */
export function findBrowser(setting: string): string | null {
  if (setting === 'off') return null;
  if (setting !== 'auto') return setting;
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (fs.existsSync(p)) return p;
  return null;
}

/** An idle browser is closed after this long (it holds 100+ MB). */
const IDLE_CLOSE_MS = 60_000;

export class ChromiumScreenshotter implements Screenshotter {
  private browser: Promise<import('playwright-core').Browser> | null = null;
  private idle: NodeJS.Timeout | null = null;
  private busy = 0;

  constructor(
    private readonly executablePath: string,
    private readonly guard: AddressGuard,
    private readonly opts: { timeoutMs: number; userAgent: string; proxy: string | null; lookup?: LookupAll },
  ) {}

  private launch() {
    this.browser ??= import('playwright-core').then(({ chromium }) =>
      chromium.launch({
        executablePath: this.executablePath,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-extensions', '--no-first-run', '--mute-audio'],
        ...(this.opts.proxy ? { proxy: { server: this.opts.proxy } } : {}),
      }),
    );
    return this.browser;
  }

  private async allowed(url: string): Promise<boolean> {
    try {
      const u = new URL(url);
      if (u.protocol === 'data:' || u.protocol === 'blob:') return true;
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
      const host = u.hostname.replace(/^\[|\]$/g, '');
      const addrs = ipaddr.isValid(host) ? [host] : (await (this.opts.lookup ?? systemLookup)(host)).map((a) => a.address);
      return addrs.length > 0 && addrs.every((a) => this.guard.allowed(a));
    } catch {
      return false;
    }
  }

  async capture(url: string): Promise<{ png: Buffer | null; note: string | null }> {
    let context: import('playwright-core').BrowserContext | null = null;
    this.busy++;
    if (this.idle) clearTimeout(this.idle);
    try {
      const browser = await this.launch();
      context = await browser.newContext({ userAgent: this.opts.userAgent, viewport: { width: 1280, height: 900 }, ignoreHTTPSErrors: true, serviceWorkers: 'block' });
      await context.route('**/*', async (route) => ((await this.allowed(route.request().url())) ? route.continue() : route.abort('blockedbyclient')));
      const page = await context.newPage();
      await page.goto(url, { waitUntil: 'load', timeout: this.opts.timeoutMs });
      return { png: await page.screenshot({ type: 'png', timeout: this.opts.timeoutMs }), note: null };
    } catch (e) {
      return { png: null, note: `截图失败：${e instanceof Error ? e.message.split('\n')[0].slice(0, 200) : String(e)}` };
    } finally {
      await context?.close().catch(() => undefined);
      if (--this.busy === 0) {
        this.idle = setTimeout(() => void this.close(), IDLE_CLOSE_MS);
        this.idle.unref();
      }
    }
  }

  async close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const b = this.browser;
    this.browser = null;
    if (b) await (await b.catch(() => null))?.close().catch(() => undefined);
  }
}
