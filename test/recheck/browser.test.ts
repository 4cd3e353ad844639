/** Screenshots with the system's Chromium (skipped where there is none): the page as a browser shows it, kept with the run. */
import { buildChecker, buildFetcher, buildScreenshotter, type RecheckConfig } from '../../src/domain/recheck';
import { findBrowser } from '../../src/domain/recheck/browser';
import { startSites, type FixtureServer } from './sites';

const CONFIG: RecheckConfig = {
  userAgent: 'rectify-bot-recheck/test',
  timeoutMs: 20_000,
  maxBytes: 1024 * 1024,
  slowMs: 5000,
  maxLinks: 10,
  concurrency: 2,
  reviewWaitMs: 0,
  allowAddresses: '127.0.0.1',
  browser: 'auto',
};
const withBrowser = findBrowser('auto') ? describe : describe.skip;

withBrowser('screenshots', () => {
  let sites: FixtureServer;
  beforeAll(async () => {
    sites = await startSites();
  });
  afterAll(async () => {
    await sites.close();
  });

  it('keeps a PNG of the homepage with the run', async () => {
    const fetcher = buildFetcher(CONFIG);
    const browser = buildScreenshotter(CONFIG)!;
    try {
      const r = await buildChecker(CONFIG, 'Asia/Shanghai', fetcher, browser).check({
        url: `${sites.base}/s/fresh/`,
        targetKind: 'website',
        targetName: '甲县',
        problems: [{ category: 'not_updated', text: '首页更新不及时' }],
        at: new Date('2026-12-01T10:00:00+08:00'),
      });
      expect(r.screenshotNote).toBeNull();
      expect(r.screenshot!.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    } finally {
      await browser.close();
      await fetcher.close();
    }
  }, 60_000);

  it('says why there is no screenshot when the browser cannot reach the page', async () => {
    const browser = buildScreenshotter({ ...CONFIG, allowAddresses: '' })!;
    try {
      const shot = await browser.capture(`${sites.base}/s/fresh/`);
      expect(shot.png).toBeNull();
      expect(shot.note).toContain('截图失败');
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('without a browser', () => {
  it('is off when configured off', () => {
    expect(findBrowser('off')).toBeNull();
    expect(buildScreenshotter({ ...CONFIG, browser: 'off' })).toBeNull();
  });
});
