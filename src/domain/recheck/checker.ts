/**
 * Re-checks one website (or column) against its problems: reachability and certificate always,
 * then what the problems call for (freshness, wording, links, footer identifiers). Every check
 * says what it saw; what it cannot judge is `unknown`, never `passed`.
 */
import { businessDate } from '../calendar/dates';
import { daysBetween } from './dates';
import type { PageFetch, PoliteFetcher } from './fetcher';
import { columnLimit, findColumnLink, loadPage, pageFacts, planChecks, type PageFacts, type ProblemInput } from './rules';
import type { Screenshotter } from './browser';
import { verdictOf, type Check, type CheckName, type CheckResult, type RecheckReport } from './types';

export interface CheckerSettings {
  /** Time to first byte above which the site counts as too slow. */
  slowMs: number;
  /** At most this many links are tried per run. */
  maxLinks: number;
  /** A certificate expiring within this many days is named in the detail. */
  tlsWarnDays: number;
  zone: string;
}

export interface CheckInput {
  url: string | null;
  targetKind: string;
  targetName: string;
  problems: ProblemInput[];
  at: Date;
  /** More pages the order points at (a notice column with the problem's link). */
  extraUrls?: string[];
}

interface Page {
  fetch: PageFetch;
  facts: PageFacts | null;
}

const MAX_DEAD_LISTED = 10;
/** Columns checked per run (a problem may name many). */
export const MAX_COLUMNS = 5;
/** Time the links check may take before it stops trying more links. */
const LINKS_BUDGET_MS = 60_000;

export class SiteChecker {
  constructor(
    private readonly fetcher: PoliteFetcher,
    private readonly settings: CheckerSettings,
    private readonly browser: Screenshotter | null = null,
  ) {}

  async check(input: CheckInput): Promise<RecheckReport> {
    const checks: Check[] = [];
    const add = (name: CheckName, result: CheckResult, detail: string, data?: Record<string, unknown>) =>
      checks.push({ name, result, detail, ...(data ? { data } : {}), checkedAt: new Date() });
    const done = (extra: Partial<RecheckReport> = {}): RecheckReport => ({
      url: input.url,
      verdict: verdictOf(checks),
      checks,
      html: null,
      screenshot: null,
      screenshotNote: null,
      ...extra,
    });

    if (input.targetKind === 'newmedia') {
      add('unsupported', 'unknown', '政务新媒体账号不是网站，无法自动复查，请人工核实');
      return done();
    }
    const plan = planChecks(input.problems, { kind: input.targetKind, name: input.targetName });
    if (!input.url) {
      add('reachable', 'unknown', '该对象没有网址，无法自动复查；请单位或管理员补充网址');
      return done();
    }
    const today = businessDate(input.at, this.settings.zone);
    const target = new URL(input.url);
    const isColumnUrl = input.targetKind === 'column' && target.pathname !== '/' && target.pathname !== '';
    const homeUrl = isColumnUrl ? `${target.origin}/` : target.href;

    const home = await this.page(homeUrl, today);
    const reachable = this.reachability(home.fetch);
    add('reachable', reachable.result, reachable.detail, reachable.data);
    const tlsCheck = this.tls(home.fetch, input.at);
    if (tlsCheck) add('tls', tlsCheck.result, tlsCheck.detail, tlsCheck.data);
    const html = home.fetch.body.length ? home.fetch.body : null;

    if (!home.facts) {
      const why = '网站未能打开，无法检查';
      if (plan.freshness) add(plan.columns.length || isColumnUrl ? 'freshness_column' : 'freshness_home', 'unknown', why);
      if (plan.wording) add('wording', 'unknown', why);
      if (plan.links) add('links', 'unknown', why);
      if (plan.filing) add('filing', 'unknown', why);
      if (plan.unsupported.length) add('unsupported', 'unknown', `以下问题无法自动复查，请人工核实：${plan.unsupported.join('；')}`);
      return done({ html, screenshotNote: '网站未能打开，未截图' });
    }

    // The named columns' list pages: the column's own address, or its link on the homepage.
    const columns: { name: string; page: Page | null }[] = [];
    if (plan.freshness || plan.wording || plan.links) {
      if (isColumnUrl) columns.push({ name: plan.columns[0] ?? input.targetName, page: await this.page(target.href, today) });
      else {
        for (const name of plan.columns.slice(0, MAX_COLUMNS)) {
          const link = findColumnLink(home.facts.links, name);
          columns.push({ name, page: link ? await this.page(link.url, today) : null });
        }
      }
    }
    const pages = columns.filter((c): c is { name: string; page: Page } => c.page !== null);

    if (plan.freshness) {
      add('freshness_home', ...this.freshness(home, plan.homeMaxDays, today, '首页'));
      for (const c of columns) {
        if (!c.page) add('freshness_column', 'unknown', `首页未找到名为“${c.name}”的栏目链接，无法检查栏目更新`, { column: c.name });
        else add('freshness_column', ...this.columnFreshness(c.page, c.name, columnLimit(plan, c.name), today));
      }
      if (plan.columns.length > MAX_COLUMNS) add('freshness_column', 'unknown', `问题列出 ${plan.columns.length} 个栏目，只检查了前 ${MAX_COLUMNS} 个：未检查 ${plan.columns.slice(MAX_COLUMNS).join('、')}`);
    }
    if (plan.wording) add('wording', ...(await this.wording(plan.wrongWording, plan.articleUrls, home, pages, today, input.extraUrls ?? [])));
    if (plan.links) add('links', ...(await this.links(home, pages.map((c) => c.page))));
    if (plan.filing) add('filing', ...this.filing(home));
    if (plan.unsupported.length) add('unsupported', 'unknown', `以下问题无法自动复查，请人工核实：${plan.unsupported.join('；')}`);

    let screenshot: Buffer | null = null;
    let screenshotNote: string | null = null;
    if (!this.browser) screenshotNote = '未配置浏览器，仅保存网页 HTML，未截图';
    else {
      const shot = await this.browser.capture(home.fetch.finalUrl);
      screenshot = shot.png;
      screenshotNote = shot.note;
    }
    return done({ html, screenshot, screenshotNote });
  }

  private async page(url: string, today: string): Promise<Page> {
    const fetch = await this.fetcher.fetchPage(url);
    const ok = fetch.failure === null && fetch.status !== null && fetch.status < 400 && fetch.body.length > 0;
    return { fetch, facts: ok ? pageFacts(await loadPage(fetch.body, fetch.contentType), fetch.finalUrl, today) : null };
  }

  private reachability(f: PageFetch): { result: CheckResult; detail: string; data: Record<string, unknown> } {
    const data = { status: f.status, hops: f.hops, ttfbMs: f.ttfbMs === null ? null : Math.round(f.ttfbMs), finalUrl: f.finalUrl, truncated: f.truncated, bytes: f.body.length };
    const redirects = f.hops.length > 1 ? `，重定向 ${f.hops.length - 1} 次至 ${f.finalUrl}` : '';
    if (f.failure) {
      const result: CheckResult = f.failure.kind === 'blocked' || f.failure.kind === 'bad_url' ? 'unknown' : 'failed';
      return { result, detail: f.failure.message, data: { ...data, failure: f.failure.kind } };
    }
    if (f.status === null || f.status >= 400) return { result: 'failed', detail: `网站返回 HTTP ${f.status}${redirects}`, data };
    const ttfb = Math.round(f.ttfbMs ?? 0);
    if (ttfb > this.settings.slowMs) {
      return { result: 'failed', detail: `打开过慢：首字节 ${(ttfb / 1000).toFixed(1)} 秒（上限 ${this.settings.slowMs / 1000} 秒）${redirects}`, data };
    }
    const cut = f.truncated ? `；页面过大，仅读取前 ${Math.round(f.body.length / 1024)} KB` : '';
    const plain = f.hops.every((h) => h.url.startsWith('http:')) ? '；未使用 HTTPS' : '';
    return { result: 'passed', detail: `HTTP ${f.status}，首字节 ${ttfb} 毫秒${redirects}${cut}${plain}`, data };
  }

  private tls(f: PageFetch, at: Date): { result: CheckResult; detail: string; data: Record<string, unknown> } | null {
    if (!f.tls) return null;
    const days = f.tls.validTo ? Math.floor((f.tls.validTo.getTime() - at.getTime()) / 86_400_000) : null;
    const data = { valid: f.tls.valid, error: f.tls.error, validTo: f.tls.validTo?.toISOString() ?? null, daysLeft: days };
    if (!f.tls.valid) {
      const why =
        f.tls.error === 'CERT_HAS_EXPIRED'
          ? `证书已过期${days !== null ? ` ${-days} 天` : ''}`
          : f.tls.error === 'CERT_NOT_YET_VALID'
            ? '证书尚未生效'
            : f.tls.error === 'ERR_TLS_CERT_ALTNAME_INVALID'
              ? '证书与域名不符'
              : /SELF_SIGNED|UNABLE_TO/.test(f.tls.error ?? '')
                ? '证书不受信任（自签名或证书链不完整）'
                : `证书无效（${f.tls.error}）`;
      return { result: 'failed', detail: `HTTPS ${why}，访问者会看到安全警告`, data };
    }
    if (days === null) return { result: 'passed', detail: f.tls.viaProxy ? '证书验证通过（经代理访问，未取得有效期）' : '证书验证通过', data };
    if (days < 0) return { result: 'failed', detail: `证书已过期 ${-days} 天`, data };
    const soon = days <= this.settings.tlsWarnDays ? '，即将到期，请及时续期' : '';
    return { result: 'passed', detail: `证书有效，剩余 ${days} 天${soon}`, data };
  }

  private freshness(p: Page, maxDays: number, today: string, where: string): [CheckResult, string, Record<string, unknown>] {
    const newest = p.facts!.newestDate;
    const data = { newest, maxDays, today };
    if (!newest) return ['unknown', `${where}未找到发布日期${p.fetch.truncated ? '（页面过大，只读了一部分）' : ''}，无法判断更新情况`, data];
    const age = daysBetween(newest, today);
    if (age > maxDays) return ['failed', `${where}最新信息日期为 ${newest}，已 ${age} 天未更新（要求 ${maxDays} 天内）`, { ...data, age }];
    return ['passed', `${where}最新信息日期为 ${newest}（${age} 天前，要求 ${maxDays} 天内）`, { ...data, age }];
  }

  private columnFreshness(c: Page, column: string, maxDays: number, today: string): [CheckResult, string, Record<string, unknown>] {
    const name = `栏目“${column}”`;
    if (!c.facts) return ['unknown', `${name}页面未能打开（${c.fetch.failure?.message ?? `HTTP ${c.fetch.status}`}）`, { column, url: c.fetch.url }];
    const f = c.facts;
    if (!f.newestDate) {
      if (f.saysEmpty || f.entries === 0) {
        return c.fetch.truncated
          ? ['unknown', `${name}页面过大，只读了一部分，未见条目`, { column, url: c.fetch.finalUrl }]
          : ['failed', `${name}为空白栏目：页面没有任何信息条目${f.saysEmpty ? '（显示“暂无信息”）' : ''}`, { column, url: c.fetch.finalUrl, entries: 0 }];
      }
      return ['unknown', `${name}有 ${f.entries} 条信息但未显示日期，无法判断更新情况`, { column, url: c.fetch.finalUrl, entries: f.entries }];
    }
    const [r, d, data] = this.freshness(c, maxDays, today, name);
    return [r, d, { ...data, column, url: c.fetch.finalUrl }];
  }

  private async wording(
    wrong: string[],
    articleUrls: string[],
    home: Page,
    columns: { name: string; page: Page }[],
    today: string,
    extra: string[],
  ): Promise<[CheckResult, string, Record<string, unknown>]> {
    if (!wrong.length) return ['unknown', '问题描述中没有引出错误的原文（如 将“民族”写为“名族”），无法自动核对', {}];
    const pages: { label: string; page: Page }[] = [{ label: '首页', page: home }, ...columns.map((c) => ({ label: `栏目“${c.name}”`, page: c.page }))];
    for (const url of [...new Set([...articleUrls, ...extra])].slice(0, 5)) pages.push({ label: url, page: await this.page(url, today) });
    const found: string[] = [];
    const unread: string[] = [];
    for (const { label, page } of pages) {
      if (!page.facts) {
        unread.push(label);
        continue;
      }
      for (const w of wrong) if (page.facts.text.includes(w)) found.push(`${label}仍有“${w}”`);
      if (page.fetch.truncated) unread.push(`${label}（过大，只读了一部分）`);
    }
    const data = { wrong, pages: pages.map((p) => p.page.fetch.finalUrl), found, unread };
    if (found.length) return ['failed', `错误表述仍在：${found.join('；')}`, data];
    if (unread.length) return ['unknown', `未见“${wrong.join('”“')}”，但以下页面未能完整检查：${unread.join('；')}`, data];
    return ['passed', `${pages.map((p) => p.label).join('、')}已不见“${wrong.join('”“')}”`, data];
  }

  private async links(home: Page, columns: Page[]): Promise<[CheckResult, string, Record<string, unknown>]> {
    const all = [...home.facts!.links, ...columns.flatMap((c) => c.facts?.links ?? [])];
    const unique = [...new Map(all.map((l) => [l.url, l])).values()];
    const tried = unique.slice(0, this.settings.maxLinks);
    if (!tried.length) return ['unknown', '页面上没有可检查的链接', {}];
    // Links of one host are tried one at a time: past the budget the rest are left unchecked.
    const deadline = Date.now() + LINKS_BUDGET_MS;
    const results = await Promise.all(
      tried.map(async (l) => {
        if (Date.now() > deadline) return { ...l, status: null, failure: null, skipped: true, dead: false, late: true };
        const f = await this.fetcher.fetchPage(l.url, { readBody: false });
        const skipped = f.failure?.kind === 'blocked' || f.failure?.kind === 'bad_url';
        const dead = !skipped && (f.failure !== null || f.status === null || f.status >= 400);
        return { ...l, status: f.status, failure: f.failure?.kind ?? null, skipped, dead, late: false };
      }),
    );
    const dead = results.filter((r) => r.dead);
    const skipped = results.filter((r) => r.skipped).length;
    const late = results.filter((r) => r.late).length;
    const more =
      (unique.length > tried.length ? `（共 ${unique.length} 个链接，检查了前 ${tried.length} 个）` : '') +
      (late ? `（${late} 个因超出时间预算未检查）` : '');
    const data = { checked: tried.length - skipped, total: unique.length, skipped, unchecked: late, dead: dead.map((d) => ({ text: d.text, url: d.url, status: d.status, failure: d.failure })) };
    if (dead.length) {
      const list = dead.slice(0, MAX_DEAD_LISTED).map((d) => `${d.text || '（无文字）'} ${d.url}（${d.status ?? (d.failure === 'timeout' ? '超时' : '无法连接')}）`);
      return ['failed', `${dead.length} 个链接失效${more}：${list.join('；')}${dead.length > MAX_DEAD_LISTED ? ' 等' : ''}`, data];
    }
    if (late) return ['unknown', `检查了 ${tried.length - skipped} 个链接，均可打开，其余未能检查${more}`, data];
    if (skipped === tried.length) return ['unknown', '链接均指向内网地址，未检查', data];
    return ['passed', `检查了 ${tried.length - skipped} 个链接，均可打开${more}`, data];
  }

  private filing(home: Page): [CheckResult, string, Record<string, unknown>] {
    const f = home.facts!;
    const data = { icp: f.icp, police: f.police, siteCode: f.siteCode };
    const missing = [!f.icp && 'ICP 备案号', !f.police && '公安机关备案号', !f.siteCode && '政府网站标识码'].filter(Boolean) as string[];
    if (!missing.length) return ['passed', `页面显示 ${f.icp}、${f.police}、网站标识码 ${f.siteCode}`, data];
    if (home.fetch.truncated) return ['unknown', `页面过大，只读了一部分，未见：${missing.join('、')}`, data];
    return ['failed', `页面底部未见：${missing.join('、')}`, data];
  }
}
