/**
 * Re-checks of 500 websites (src/domain/recheck/checker.ts): each site, its own host name on
 * 127.0.0.1, has a homepage with dated news, linked columns, articles and a footer; every tenth
 * is stale and every seventh has a dead link. The re-check runs freshness (homepage and the named
 * column), links and footer checks, one request at a time per host; the fixture server records
 * the most requests it ever had in flight for one host (the politeness rule: at most 1).
 * Baseline: plain fetch() of the same pages (homepage, column, every link of both), as fast as
 * it goes, with no rule per host (fetch() cannot set the Host header, so to the server all its
 * requests are to one host: its in-flight figure counts every site). Each response waits 5 ms.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildChecker, buildFetcher, type RecheckConfig } from '../../src/domain/recheck';
import { sleep } from '../support';
import type { CaseResult, Section } from '../section';

const SITES = 500;
const PARALLEL_SITES = 32;
const LATENCY_MS = 5;
const AT = new Date('2026-12-01T10:00:00+08:00');
const host = (i: number) => `site-${i}.bench.test`;
const PROBLEMS = [
  { category: 'not_updated', text: '“通知公告”栏目更新不及时' },
  { category: 'other', text: '首页存在链接失效' },
  { category: 'filing', text: '未展示政府网站标识码' },
];

function siteHtml(i: number, path: string): { status: number; body: string } {
  const stale = i % 10 === 0;
  const news = stale ? '2026-08-01' : '2026-11-28';
  const footer = `<footer><span>粤ICP备${10000000 + i}号</span> <span>粤公网安备 4401060200${String(i).padStart(4, '0')}号</span> 网站标识码：44${String(i).padStart(8, '0')}</footer>`;
  const page = (main: string) => `<!doctype html><html><head><meta charset="utf-8"><title>第${i}号站点</title></head><body><header>第${i}号县人民政府</header>
<nav><a href="/">首页</a> <a href="/tzgg/">通知公告</a> <a href="/zwdt/">政务动态</a> <a href="/zcjd/">政策解读</a></nav><div class="main">${main}</div>${footer}</body></html>`;
  if (path === '/' || path === '/index.html') {
    const items = [1, 2, 3, 4].map((n) => `<li><a href="/art/${n}.html">第${i}号县召开第${n}次工作推进会议</a> ${news}</li>`).join('');
    const dead = i % 7 === 0 ? '<a href="/gone.html">专题专栏入口</a>' : '';
    return { status: 200, body: page(`<ul>${items}</ul>${dead}<p>${'县情概况与办事服务指南。'.repeat(200)}</p>`) };
  }
  if (path === '/tzgg/' || path === '/zwdt/' || path === '/zcjd/') {
    const d = stale ? '2025/03/02' : '[11-27]';
    return { status: 200, body: page(`<ul>${[5, 6, 7].map((n) => `<li><a href="/art/${n}.html">关于做好第${n}项重点工作的通知</a> ${d}</li>`).join('')}</ul>`) };
  }
  if (/^\/art\/\d+\.html$/.test(path)) return { status: 200, body: page(`<p>${'正文内容。'.repeat(300)}</p>`) };
  return { status: 404, body: '<html><body>页面不存在</body></html>' };
}

async function startServer(): Promise<{ port: number; maxPerHost: () => number; requests: () => number; close(): Promise<void> }> {
  const inFlight = new Map<string, number>();
  let max = 0;
  let count = 0;
  const server = http.createServer((req, res) => {
    count++;
    const h = String(req.headers.host ?? '').replace(/:\d+$/, '');
    const n = (inFlight.get(h) ?? 0) + 1;
    inFlight.set(h, n);
    max = Math.max(max, n);
    res.on('close', () => inFlight.set(h, (inFlight.get(h) ?? 1) - 1));
    const i = Number(/^site-(\d+)\./.exec(h)?.[1] ?? -1);
    setTimeout(() => {
      const r = siteHtml(i, (req.url ?? '/').split('?')[0]);
      res.writeHead(r.status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(r.body);
    }, LATENCY_MS);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    maxPerHost: () => max,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs `work` over 0..n-1 with `parallel` workers. */
async function pool(n: number, parallel: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    for (let i = next++; i < n; i = next++) await work(i);
  }));
}

async function plainFetch(): Promise<CaseResult> {
  const srv = await startServer();
  const base = (_i: number) => `http://127.0.0.1:${srv.port}`;
  // fetch() cannot be given a resolver: the Host header names the site instead.
  const get = async (i: number, path: string) => {
    const r = await fetch(`${base(i)}${path}`, { headers: { host: host(i) } });
    return r.text();
  };
  const t0 = performance.now();
  await pool(SITES, PARALLEL_SITES, async (i) => {
    const home = await get(i, '/');
    const column = await get(i, '/tzgg/');
    const links = new Set([...`${home}${column}`.matchAll(/href="([^"]+)"/g)].map((m) => m[1]));
    await Promise.all([...links].map((l) => get(i, l)));
  });
  const ms = performance.now() - t0;
  const figures = { 'max requests in flight per host': { value: srv.maxPerHost(), unit: '' }, requests: { value: srv.requests(), unit: '' } };
  await srv.close();
  return { ms, figures, info: `${SITES} sites, ${srv.requests()} requests` };
}

async function recheck(): Promise<CaseResult> {
  const srv = await startServer();
  const config: RecheckConfig = {
    userAgent: 'rectify-bot-recheck/bench',
    timeoutMs: 15_000,
    maxBytes: 2 * 1024 * 1024,
    slowMs: 5000,
    maxLinks: 30,
    concurrency: 16,
    reviewWaitMs: 0,
    allowAddresses: '127.0.0.1',
    browser: 'off',
  };
  const fetcher = buildFetcher(config, { lookup: async (h) => (h.endsWith('.bench.test') ? [{ address: '127.0.0.1', family: 4 }] : []) });
  const checker = buildChecker(config, 'Asia/Shanghai', fetcher, null);
  const verdicts = { passed: 0, failed: 0, unknown: 0 };
  const t0 = performance.now();
  await pool(SITES, PARALLEL_SITES, async (i) => {
    const r = await checker.check({ url: `http://${host(i)}:${srv.port}/`, targetKind: 'website', targetName: `第${i}号站点`, problems: PROBLEMS, at: AT });
    verdicts[r.verdict]++;
  });
  const ms = performance.now() - t0;
  await fetcher.close();
  await sleep(10);
  const requests = srv.requests();
  const expectedFailed = Array.from({ length: SITES }, (_x, i) => i % 10 === 0 || i % 7 === 0).filter(Boolean).length;
  const figures = {
    'max requests in flight per host': { value: srv.maxPerHost(), unit: '' },
    requests: { value: requests, unit: '' },
    'verdicts as expected': { value: verdicts.failed === expectedFailed && verdicts.passed === SITES - expectedFailed ? 1 : 0, unit: '' },
  };
  await srv.close();
  return { ms, figures, info: `${SITES} sites, ${requests} requests: ${verdicts.passed} passed, ${verdicts.failed} failed, ${verdicts.unknown} unknown (expected ${expectedFailed} failed)` };
}

export const recheckSection: Section = {
  name: 'recheck',
  description:
    `${SITES} fixture websites (one host name each, on 127.0.0.1, ${LATENCY_MS} ms per response) re-checked for freshness, links and footer, ` +
    `${PARALLEL_SITES} sites at a time, one request at a time per host; baseline: plain fetch() of the same pages with no rule per host`,
  async prepare() {
    return '';
  },
  cases: [
    { name: 'plain fetch, no politeness', run: () => plainFetch() },
    {
      name: 're-check 500 sites',
      baseline: 'plain fetch, no politeness',
      targets: [
        { metric: 'ms', max: 60_000 },
        { metric: 'max requests in flight per host', atMost: 1 },
        { metric: 'verdicts as expected', min: 1 },
      ],
      run: () => recheck(),
    },
  ],
};
