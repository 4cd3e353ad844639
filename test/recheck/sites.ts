/**
 * Fixture websites on 127.0.0.1, as Chinese government sites print them: a homepage with dated
 * news, columns linked by name, list pages, a footer with the filing numbers. Each site lives
 * under /s/<name>/; HTTPS variants (a valid and an expired self-signed certificate) serve the same.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import selfsigned from 'selfsigned';

export const FOOTER_FULL = '<footer>主办：甲县人民政府办公室 <span>粤ICP备12345678号-1</span> <span>粤公网安备 44010602000001号</span> 网站标识码：4401000001</footer>';
export const FOOTER_ICP_ONLY = '<footer>主办：甲县人民政府办公室 <span>粤ICP备12345678号</span></footer>';

export function homepage(o: { title?: string; nav?: [string, string][]; news?: [string, string][]; body?: string; footer?: string }): string {
  const nav = (o.nav ?? []).map(([t, h]) => `<li><a href="${h}">${t}</a></li>`).join('');
  const news = (o.news ?? []).map(([t, d]) => `<li><a href="art/1.html">${t}</a><span class="date">${d}</span></li>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${o.title ?? '甲县人民政府'}</title></head><body>
<header><h1>${o.title ?? '甲县人民政府'}</h1></header><nav><ul>${nav}</ul></nav>
<div class="main"><h2>政务要闻</h2><ul>${news}</ul>${o.body ?? ''}</div>${o.footer ?? FOOTER_FULL}</body></html>`;
}

export function listPage(entries: [string, string][], empty = false): string {
  const items = entries.map(([t, d]) => `<li><a href="../art/1.html">${t}</a> ${d}</li>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"></head><body><nav><a href="../">首页</a></nav>
<div class="list">${empty ? '<p>暂无信息</p>' : `<ul>${items}</ul>`}</div>${FOOTER_FULL}</body></html>`;
}

const NAV: [string, string][] = [
  ['首页', './'],
  ['通知公告', 'tzgg/'],
  ['政务动态', 'zwdt/'],
  ['政策解读', 'zcjd/'],
];

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, rest: string) => void;

const html = (res: http.ServerResponse, body: string, status = 200) => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
};

/** The fixture sites, by name; `today` is the day of the check (YYYY-MM-DD). */
export function fixtureSites(): Record<string, Handler> {
  const article = (text: string): Handler => (_q, res, rest) => {
    if (rest.startsWith('art/')) return html(res, `<html><body><p>${text}</p></body></html>`);
    return html(res, homepage({ nav: NAV, news: [['关于开展民族团结宣传月活动的通知', '2026-11-28']], body: `<p>${text}</p>` }));
  };
  return {
    fresh: (_q, res, rest) => {
      if (rest === 'tzgg/') return html(res, listPage([['关于2026年冬季防火的通知', '[11-27]'], ['关于做好元旦期间工作的通知', '[10-08]']]));
      if (rest === 'zwdt/') return html(res, listPage([['县长调研重点项目建设', '2026/11/30'], ['全县安全生产工作会议召开', '2026/11/02']]));
      if (rest === 'zcjd/') return html(res, listPage([['一图读懂惠企政策', '2026年11月20日']]));
      if (rest === '' || rest === 'index.html') return html(res, homepage({ nav: NAV, news: [['甲县召开常务会议', '2026-11-28'], ['甲县开展消防检查', '2026年11月25日']] }));
      return html(res, '<html><body>文章</body></html>');
    },
    stale: (_q, res, rest) => {
      if (rest === 'tzgg/') return html(res, listPage([['关于2025年春季防汛的通知', '2025/03/02']]));
      if (rest === 'zwdt/') return html(res, listPage([['全县经济运行分析会召开', '2026-08-15']]));
      return html(res, homepage({ nav: NAV, news: [['甲县召开常务会议', '2026-09-01'], ['甲县开展消防检查', '2026年8月25日']] }));
    },
    empty: (_q, res, rest) => {
      if (rest === 'zcjd/') return html(res, listPage([], true));
      return html(res, homepage({ nav: NAV, news: [['甲县召开常务会议', '2026-11-28']] }));
    },
    wrong: article('各名族团结一心，共同发展'),
    fixed: article('各民族团结一心，共同发展'),
    dead: (_q, res, rest) => {
      if (rest === 'ok.html') return html(res, '<html><body>好</body></html>');
      if (rest === 'missing.html') return html(res, '<html><body>找不到</body></html>', 404);
      if (rest === 'broken') return html(res, '<html><body>错误</body></html>', 500);
      if (rest === 'moved') {
        res.writeHead(301, { location: 'ok.html' });
        return res.end();
      }
      return html(res, homepage({
        nav: [['首页', './'], ['办事指南', 'ok.html'], ['部门链接', 'missing.html'], ['旧栏目', 'moved'], ['数据开放', 'broken']],
        news: [['甲县召开常务会议', '2026-11-28']],
      }));
    },
    nofiling: (_q, res) => html(res, homepage({ nav: NAV, news: [['甲县召开常务会议', '2026-11-28']], footer: FOOTER_ICP_ONLY })),
    slow: (_q, res) => {
      const t = setTimeout(() => html(res, homepage({ nav: NAV, news: [['甲县召开常务会议', '2026-11-28']] })), 1200);
      res.on('close', () => clearTimeout(t));
    },
    hang: (_q, res) => {
      const t = setTimeout(() => html(res, 'late'), 20_000);
      res.on('close', () => clearTimeout(t));
    },
    loop: (_q, res, rest) => {
      res.writeHead(302, { location: rest === 'a' ? './' : 'a' });
      res.end();
    },
    huge: (_q, res) => {
      // Dated news first, then an endless page: the footer is never reached.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.write(`<html><body><ul><li><a href="x">甲县召开常务会议</a> 2026-11-28</li></ul>`);
      const filler = `<p>${'填充内容'.repeat(2000)}</p>`;
      let sent = 0;
      const pump = () => {
        while (sent < 200 && res.write(filler)) sent++;
        if (sent >= 200) res.end(`${FOOTER_FULL}</body></html>`);
      };
      res.on('drain', pump);
      res.on('close', () => res.removeListener('drain', pump));
      pump();
    },
  };
}

export interface FixtureServer {
  base: string;
  port: number;
  /** The highest number of requests in flight at once, per Host header. */
  maxInFlight: Map<string, number>;
  requests: number;
  close(): Promise<void>;
}

function handler(srv: { maxInFlight: Map<string, number>; requests: number }) {
  const sites = fixtureSites();
  const inFlight = new Map<string, number>();
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    srv.requests++;
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
    const n = (inFlight.get(host) ?? 0) + 1;
    inFlight.set(host, n);
    srv.maxInFlight.set(host, Math.max(srv.maxInFlight.get(host) ?? 0, n));
    res.on('close', () => inFlight.set(host, (inFlight.get(host) ?? 1) - 1));
    const m = /^\/s\/([a-z0-9-]+)\/(.*)$/.exec((req.url ?? '/').split('?')[0]);
    const site = m ? sites[m[1]] ?? sites[m[1].replace(/-\d+$/, '')] : undefined;
    if (!m || !site) return html(res, 'not found', 404);
    site(req, res, m[2]);
  };
}

async function listen(server: http.Server | https.Server, state: { maxInFlight: Map<string, number>; requests: number }, scheme: string): Promise<FixtureServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const out = state as FixtureServer;
  out.port = port;
  out.base = `${scheme}://127.0.0.1:${port}`;
  out.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return out;
}

export async function startSites(): Promise<FixtureServer> {
  const state = { maxInFlight: new Map<string, number>(), requests: 0 };
  const server = http.createServer(handler(state));
  return listen(server, state, 'http');
}

/** An HTTPS copy of the sites with a self-signed certificate for 127.0.0.1 (expired, or valid and trusted through `cert`). */
export async function startTlsSites(validity: { notBefore: Date; notAfter: Date }): Promise<FixtureServer & { cert: string }> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: validity.notBefore,
    notAfterDate: validity.notAfter,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  const state = { maxInFlight: new Map<string, number>(), requests: 0 };
  const server = https.createServer({ key: pems.private, cert: pems.cert }, handler(state));
  const s = await listen(server, state, 'https');
  return Object.assign(s, { cert: pems.cert });
}
