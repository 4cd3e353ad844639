/** The re-check's verdict per check, against fixture sites on 127.0.0.1 (no database involved). */
import { buildChecker, buildFetcher, type RecheckConfig } from '../../src/domain/recheck';
import type { SiteChecker } from '../../src/domain/recheck/checker';
import type { PoliteFetcher } from '../../src/domain/recheck/fetcher';
import type { Check } from '../../src/domain/recheck/types';
import { startSites, startTlsSites, type FixtureServer } from './sites';

const AT = new Date('2026-12-01T10:00:00+08:00');
const CONFIG: RecheckConfig = {
  userAgent: 'rectify-bot-recheck/test',
  // Generous limits (a busy machine must not fail a fast site); the slow and hanging cases set tight ones.
  timeoutMs: 10_000,
  maxBytes: 256 * 1024,
  slowMs: 10_000,
  maxLinks: 20,
  concurrency: 4,
  reviewWaitMs: 1000,
  allowAddresses: '127.0.0.1',
  browser: 'off',
};

let sites: FixtureServer;
const open: PoliteFetcher[] = [];
function checker(over: Partial<RecheckConfig> = {}, ca?: string[]): SiteChecker {
  const f = buildFetcher({ ...CONFIG, ...over }, { ca });
  open.push(f);
  return buildChecker({ ...CONFIG, ...over }, 'Asia/Shanghai', f, null);
}
const check = (c: SiteChecker, site: string, problems: { category: string; text: string }[], base = sites.base) =>
  c.check({ url: `${base}/s/${site}/`, targetKind: 'website', targetName: '甲县人民政府网站', problems, at: AT });
const byName = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c]));

beforeAll(async () => {
  sites = await startSites();
});
afterAll(async () => {
  await Promise.all(open.map((f) => f.close()));
  await sites.close();
});

const COLUMN_STALE = [{ category: 'not_updated', text: '“通知公告”栏目更新不及时' }];

describe('freshness', () => {
  it('passes a site whose homepage and named column have recent dates', async () => {
    const r = await check(checker(), 'fresh', COLUMN_STALE);
    const c = byName(r.checks);
    expect(c.reachable.result).toBe('passed');
    expect(c.reachable.detail).toMatch(/^HTTP 200，首字节 \d+ 毫秒/);
    expect(c.freshness_home).toMatchObject({ result: 'passed' });
    expect(c.freshness_home.detail).toContain('2026-11-28');
    // "[11-27]" on the list page: the latest 27 November not after the check.
    expect(c.freshness_column).toMatchObject({ result: 'passed' });
    expect(c.freshness_column.detail).toContain('2026-11-27');
    expect(r.verdict).toBe('passed');
  });

  it('fails a stale homepage and a stale column, with the dates it saw', async () => {
    const r = await check(checker(), 'stale', COLUMN_STALE);
    const c = byName(r.checks);
    expect(c.reachable.result).toBe('passed');
    expect(c.freshness_home.result).toBe('failed');
    expect(c.freshness_home.detail).toContain('2026-09-01');
    expect(c.freshness_column.result).toBe('failed');
    expect(c.freshness_column.detail).toContain('2025-03-02');
    expect(r.verdict).toBe('failed');
  });

  it('fails an empty column and passes the same column once it has entries', async () => {
    const problems = [{ category: 'empty_column', text: '“政策解读”栏目为空白栏目' }];
    const empty = byName((await check(checker(), 'empty', problems)).checks);
    expect(empty.freshness_column.result).toBe('failed');
    expect(empty.freshness_column.detail).toContain('空白栏目');
    const filled = byName((await check(checker(), 'fresh', problems)).checks);
    expect(filled.freshness_column.result).toBe('passed');
    expect(filled.freshness_column.detail).toContain('2026-11-20');
  });

  it('checks each column a problem lists', async () => {
    const r = await check(checker(), 'stale', [{ category: 'not_updated', text: '2 个栏目存在应更新未更新(通知公告、政务动态)' }]);
    const columns = r.checks.filter((c) => c.name === 'freshness_column');
    expect(columns.map((c) => [c.result, (c.data as any).column, (c.data as any).newest])).toEqual([
      ['failed', '通知公告', '2025-03-02'],
      ['failed', '政务动态', '2026-08-15'],
    ]);
  });

  it('says unknown when the named column is not linked from the homepage', async () => {
    const r = await check(checker(), 'fresh', [{ category: 'not_updated', text: '“人事信息”栏目长期未更新' }]);
    expect(byName(r.checks).freshness_column).toMatchObject({ result: 'unknown' });
    expect(byName(r.checks).freshness_column.detail).toContain('人事信息');
    expect(r.verdict).toBe('unknown');
  });
});

describe('wording', () => {
  const problem = (site: string) => [{ category: 'wording_error', text: `严重表述错误：将“民族”写为“名族”（${sites.base}/s/${site}/art/1.html）` }];

  it('fails while the wrong wording is still on the page or the linked article', async () => {
    const r = await check(checker(), 'wrong', problem('wrong'));
    const w = byName(r.checks).wording;
    expect(w.result).toBe('failed');
    expect(w.detail).toContain('“名族”');
    expect(r.verdict).toBe('failed');
  });

  it('passes once it is gone from both', async () => {
    const r = await check(checker(), 'fixed', problem('fixed'));
    expect(byName(r.checks).wording.result).toBe('passed');
    expect(r.verdict).toBe('passed');
  });

  it('cannot judge a problem that quotes no wording', async () => {
    const r = await check(checker(), 'fixed', [{ category: 'wording_error', text: '存在错别字' }]);
    expect(byName(r.checks).wording.result).toBe('unknown');
    expect(r.verdict).toBe('unknown');
  });
});

describe('links, filing and problems it cannot check', () => {
  it('lists the dead links of the homepage, one request at a time to the host', async () => {
    const before = sites.maxInFlight.get('127.0.0.1') ?? 0;
    const r = await check(checker(), 'dead', [{ category: 'other', text: '首页存在链接失效、错链' }]);
    const l = byName(r.checks).links;
    expect(l.result).toBe('failed');
    expect(l.detail).toContain('2 个链接失效');
    expect(l.detail).toContain('部门链接');
    expect(l.detail).toContain('数据开放');
    expect(l.detail).not.toContain('旧栏目'); // a redirect to a live page is not dead
    expect(Math.max(before, sites.maxInFlight.get('127.0.0.1')!)).toBe(1);
  });

  it('fails a footer without the police filing number and the site code', async () => {
    const problems = [{ category: 'filing', text: '网站底部未标注公安机关备案号、政府网站标识码' }];
    const missing = byName((await check(checker(), 'nofiling', problems)).checks).filing;
    expect(missing.result).toBe('failed');
    expect(missing.detail).toContain('公安机关备案号');
    expect(missing.detail).toContain('政府网站标识码');
    expect(missing.detail).not.toContain('ICP');
    const full = byName((await check(checker(), 'fresh', problems)).checks).filing;
    expect(full.result).toBe('passed');
    expect(full.detail).toContain('4401000001');
  });

  it('reports what it cannot check as unknown, never passed', async () => {
    const r = await check(checker(), 'fresh', [{ category: 'poor_interaction', text: '超过2个月未回应有效留言' }]);
    expect(byName(r.checks).unsupported).toMatchObject({ result: 'unknown' });
    expect(byName(r.checks).unsupported.detail).toContain('超过2个月未回应有效留言');
    expect(r.verdict).toBe('unknown');
  });

  it('asks for an address it does not have, and leaves new-media accounts to people', async () => {
    const c = checker();
    const none = await c.check({ url: null, targetKind: 'website', targetName: '甲县', problems: COLUMN_STALE, at: AT });
    expect(none.verdict).toBe('unknown');
    expect(none.checks[0].detail).toContain('没有网址');
    const nm = await c.check({ url: null, targetKind: 'newmedia', targetName: '甲县发布', problems: COLUMN_STALE, at: AT });
    expect(nm.checks).toEqual([expect.objectContaining({ name: 'unsupported', result: 'unknown' })]);
  });
});

describe('reachability', () => {
  it('fails a slow site and a site that does not answer in time', async () => {
    const slow = byName((await check(checker({ slowMs: 300 }), 'slow', COLUMN_STALE)).checks);
    expect(slow.reachable.result).toBe('failed');
    expect(slow.reachable.detail).toContain('打开过慢');
    const hang = await check(checker({ timeoutMs: 1000 }), 'hang', COLUMN_STALE);
    const h = byName(hang.checks);
    expect(h.reachable.result).toBe('failed');
    expect(h.reachable.detail).toContain('秒内未响应');
    expect(h.freshness_column.result).toBe('unknown');
    expect(hang.verdict).toBe('failed');
  });

  it('detects a redirect loop', async () => {
    const r = byName((await check(checker(), 'loop', COLUMN_STALE)).checks);
    expect(r.reachable.result).toBe('failed');
    expect(r.reachable.detail).toContain('重定向循环');
  });

  it('cuts a huge page at the size cap: judges what it read, and only that', async () => {
    const r = await check(checker(), 'huge', [
      { category: 'not_updated', text: '首页更新不及时' },
      { category: 'filing', text: '未展示网站标识码' },
    ]);
    const c = byName(r.checks);
    expect(c.reachable.result).toBe('passed');
    expect(c.reachable.detail).toContain('页面过大');
    expect((c.reachable.data as any).bytes).toBeLessThanOrEqual(CONFIG.maxBytes);
    expect(c.freshness_home.result).toBe('passed');
    expect(c.filing.result).toBe('unknown'); // the footer was never read
    expect(r.html!.length).toBeLessThanOrEqual(CONFIG.maxBytes);
  });

  it('refuses loopback and private addresses unless they are allowed', async () => {
    const r = await check(checker({ allowAddresses: '' }), 'fresh', COLUMN_STALE);
    expect(byName(r.checks).reachable).toMatchObject({ result: 'unknown' });
    expect(byName(r.checks).reachable.detail).toContain('127.0.0.1');
    expect(r.verdict).toBe('unknown');
  });
});

describe('certificates', () => {
  it('fails an expired certificate and still reads the page', async () => {
    const tls = await startTlsSites({ notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2025-06-01T00:00:00Z') });
    try {
      const r = await check(checker({}, [tls.cert]), 'fresh', COLUMN_STALE, tls.base);
      const c = byName(r.checks);
      expect(c.tls.result).toBe('failed');
      expect(c.tls.detail).toContain('证书已过期');
      expect(c.reachable.result).toBe('passed');
      expect(c.freshness_column.result).toBe('passed');
      expect(r.verdict).toBe('failed');
    } finally {
      await tls.close();
    }
  });

  it('passes a valid certificate and tells the days to its expiry', async () => {
    const tls = await startTlsSites({ notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-03-01T00:00:00Z') });
    try {
      const r = await check(checker({}, [tls.cert]), 'fresh', COLUMN_STALE, tls.base);
      const c = byName(r.checks);
      expect(c.tls.result).toBe('passed');
      expect(c.tls.detail).toMatch(/证书有效，剩余 8\d 天/);
      expect(r.verdict).toBe('passed');
    } finally {
      await tls.close();
    }
  });
});

describe('behind a proxy', () => {
  it('goes through HTTPS_PROXY / HTTP_PROXY when they are set', async () => {
    const net = await import('node:net');
    const httpMod = await import('node:http');
    const tunnels: string[] = [];
    const proxy = httpMod.createServer((_q, res) => res.writeHead(405).end());
    proxy.on('connect', (req, client, head) => {
      tunnels.push(String(req.url));
      const [h, p] = String(req.url).split(':');
      const upstream = net.connect(Number(p), h, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
    Object.assign(process.env, { HTTP_PROXY: url, HTTPS_PROXY: url, NO_PROXY: '' });
    try {
      const r = await check(checker(), 'fresh', COLUMN_STALE);
      expect(r.verdict).toBe('passed');
      expect(tunnels).toContain(`127.0.0.1:${sites.port}`);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });
});
