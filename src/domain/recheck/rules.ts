/**
 * The inspection rules, written by hand: which checks a problem calls for, what the problem text
 * tells (the column, the wrong wording, linked articles, a time limit), and what a page shows
 * (its dates, links, footer identifiers). HTML is parsed with cheerio; nothing here fetches.
 */
import type { CheerioAPI } from 'cheerio';
import { newestDate } from './dates';

export interface ProblemInput {
  category: string;
  text: string;
}

export interface CheckPlan {
  freshness: boolean;
  /** The columns the problems name (at most MAX_COLUMNS are checked). */
  columns: string[];
  /** Days within which a column must have news, when the problem text names a period (else by the column's kind). */
  columnMaxDays: number | null;
  /** Days within which the homepage must have news. */
  homeMaxDays: number;
  /** The category is 空白栏目: a column without entries fails. */
  emptyColumn: boolean;
  /** Wrong wordings quoted in the problem text (must no longer appear). */
  wrongWording: string[];
  wording: boolean;
  /** Pages the problem links to (the article with the error…). */
  articleUrls: string[];
  links: boolean;
  filing: boolean;
  /** Problems no check covers (reported as unknown, never passed). */
  unsupported: string[];
}

/** Homepage news: within 2 weeks (国办 inspection indicators: 首页栏目 2 周内须有更新). */
export const HOME_MAX_DAYS = 14;

/** A column's limit by its name: news 2 weeks, notices and policies 6 months, plans and staff a year. */
export const COLUMN_RULES: { match: RegExp; days: number }[] = [
  { match: /动态|要闻|新闻|资讯|快讯|头条|工作|政务/, days: 14 },
  { match: /通知|公告|政策|文件|法规|解读|公示/, days: 183 },
  { match: /人事|规划|计划|统计|财政|预算|决算|年报/, days: 365 },
];
export const COLUMN_DEFAULT_DAYS = 183;

/** The limit for a column: the period the problem names, else the rule of the column's kind. */
export function columnLimit(plan: Pick<CheckPlan, 'columnMaxDays'>, column: string): number {
  return plan.columnMaxDays ?? COLUMN_RULES.find((r) => r.match.test(column))?.days ?? COLUMN_DEFAULT_DAYS;
}

const CN_NUM: Record<string, number> = { 一: 1, 两: 2, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 十: 10 };

/** "检测时间点前1周无更新", "2个月未更新", "超过30天未更新" → days; null when the text names no period. */
export function periodDays(text: string): number | null {
  const m = /(\d{1,3}|[一二两三四五六七八九十])\s*(周|星期|天|日|个月|月|年)\s*(?:内)?(?:无|未|没有|不)?(?:更新|断更)/.exec(text);
  if (!m) return null;
  const n = /\d/.test(m[1]) ? Number(m[1]) : CN_NUM[m[1]];
  const unit = m[2];
  return unit === '周' || unit === '星期' ? n * 7 : unit === '天' || unit === '日' ? n : unit === '年' ? n * 365 : n * 30;
}

const QUOTE_OPEN = '“"「『《‘\'';
const QUOTE_CLOSE = '”"」』》’\'';
const Q = (inner: string) => `[${QUOTE_OPEN}]\\s*(${inner})\\s*[${QUOTE_CLOSE}]`;
const QUOTED = `[^${QUOTE_CLOSE}${QUOTE_OPEN}]{1,40}`;

/** The wrong wordings a problem quotes: 将“民族”写为“名族”, “名族”应为“民族”, 错别字“名族”. */
export function wrongWordings(text: string): string[] {
  const out: string[] = [];
  const written = new RegExp(`${Q(QUOTED)}\\s*(?:错|误)?(?:写为|写成|写作|打成|表述为|作为|误作|错为)\\s*${Q(QUOTED)}`, 'g');
  for (const m of text.matchAll(written)) out.push(m[2]);
  const should = new RegExp(`${Q(QUOTED)}\\s*(?:应为|应是|应作|应改为|当为)\\s*${Q(QUOTED)}`, 'g');
  for (const m of text.matchAll(should)) out.push(m[1]);
  const named = new RegExp(`(?:错别字|错字|表述错误|错误表述)\\s*[:：]?\\s*${Q(QUOTED)}`, 'g');
  for (const m of text.matchAll(named)) out.push(m[1]);
  return [...new Set(out.map((s) => s.trim()).filter(Boolean))];
}

/**
 * The columns a problem names: “通知公告”栏目, 通知公告栏目更新不及时, 3 个栏目存在应更新未更新(在线访谈、调查征集),
 * or the column target's own name.
 */
export function columnNames(text: string, target: { kind: string; name: string }): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(new RegExp(`${Q(QUOTED)}\\s*(?:栏目|专栏|频道|子栏目|版块|板块)`, 'g'))) out.push(m[1].trim());
  for (const m of text.matchAll(/(?:栏目|专栏|频道|版块|板块)[^（(，,；;。]{0,16}[（(]([^）)]{2,80})[）)]/g)) {
    out.push(...m[1].split(/[、，,；;\s]+/).map((x) => x.trim()).filter((x) => x.length >= 2 && x.length <= 20));
  }
  if (!out.length) {
    const bare = /([\u4e00-\u9fa5A-Za-z]{2,12}?)(?:栏目|专栏|频道|版块|板块)/.exec(text.replace(/[，,。；;、\s]/g, ' '));
    if (bare) {
      const name = bare[1].replace(/^(?:网站|首页|其中|该|本|的)+/, '').replace(/的$/, '');
      if (name.length >= 2 && !/^(多个|部分|个别|一些|若干|有关|相关|各|所有|全部|多|其他|重点|首页)$/.test(name) && !/(更新|空白|长期|存在)/.test(name)) out.push(name);
    }
  }
  if (!out.length && target.kind === 'column') {
    const n = target.name.split('/').pop()!.trim();
    if (n) out.push(n);
  }
  return [...new Set(out)];
}

/** http(s) addresses written in a text (linked articles). */
export function urlsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/https?:\/\/[^\s，。；、,;"“”'’）)<>【】]+/gi)].map((m) => m[0].replace(/[.。]+$/, '')))];
}

const FRESH = /更新|断更|空白|未更新|无更新/;
const WORDING = /错别字|错字|表述错误|表述不规范|错误表述|写为|写成|应为/;
const LINKS = /链接|错链|死链|断链|外链|打不开|无法打开|不能打开/;
const FILING = /ICP|备案号|备案编号|公安备案|公网安备|网安备|标识码|网站标识|备案信息/i;

/** Which checks the problems of a website or column call for. */
export function planChecks(problems: ProblemInput[], target: { kind: string; name: string }): CheckPlan {
  const plan: CheckPlan = {
    freshness: false,
    columns: [],
    columnMaxDays: null,
    homeMaxDays: HOME_MAX_DAYS,
    emptyColumn: false,
    wrongWording: [],
    wording: false,
    articleUrls: [],
    links: false,
    filing: false,
    unsupported: [],
  };
  for (const p of problems) {
    const t = p.text;
    let covered = false;
    plan.articleUrls.push(...urlsIn(t));
    if (p.category === 'not_updated' || p.category === 'empty_column' || (p.category === 'other' && FRESH.test(t))) {
      plan.freshness = true;
      covered = true;
      if (p.category === 'empty_column' || /空白/.test(t)) plan.emptyColumn = true;
      const named = columnNames(t, target);
      plan.columns.push(...named);
      const period = periodDays(t);
      if (period !== null) {
        plan.columnMaxDays = period;
        if (!named.length) plan.homeMaxDays = period;
      }
    }
    if (p.category === 'wording_error' || WORDING.test(t)) {
      plan.wording = true;
      plan.wrongWording.push(...wrongWordings(t));
      covered = true;
      plan.columns.push(...columnNames(t, target));
    }
    if (LINKS.test(t)) {
      plan.links = true;
      covered = true;
    }
    if (FILING.test(t)) {
      plan.filing = true;
      covered = true;
    }
    if (!covered) plan.unsupported.push(t);
  }
  plan.columns = [...new Set(plan.columns)];
  if (!plan.columns.length && target.kind === 'column') plan.columns = columnNames('', target);
  plan.wrongWording = [...new Set(plan.wrongWording)];
  plan.articleUrls = [...new Set(plan.articleUrls)];
  return plan;
}

// ------------------------------------------------------------------------------------------ pages

export interface PageLink {
  text: string;
  url: string;
}

export interface PageFacts {
  /** Visible text (scripts and styles left out), whitespace collapsed. */
  text: string;
  newestDate: string | null;
  links: PageLink[];
  /** Links that look like entries of a list (title-length text, outside header, nav and footer). */
  entries: number;
  /** The page says it has nothing (暂无信息…). */
  saysEmpty: boolean;
  icp: string | null;
  police: string | null;
  siteCode: string | null;
}

const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
const ICP_RE = new RegExp(`[${PROVINCES}]\\s*ICP\\s*[备证]\\s*[:：]?\\s*\\d{5,}\\s*号?(?:\\s*-\\s*\\d+)?`, 'i');
const POLICE_RE = new RegExp(`[${PROVINCES}]?\\s*公网安备\\s*[:：]?\\s*\\d{8,}\\s*号?`);
const SITE_CODE_RE = /(?:政府)?网站标识码\s*[:：]?\s*([0-9A-Za-z]{10})(?![0-9A-Za-z])/;
const EMPTY_RE = /暂无(?:相关)?(?:信息|数据|内容|记录|文章)|没有(?:相关)?(?:信息|数据|内容|记录)|无相关(?:信息|数据|内容)|内容为空/;

function charsetOf(contentType: string | null): string | undefined {
  const m = /charset\s*=\s*"?([\w-]+)/i.exec(contentType ?? '');
  return m ? m[1] : undefined;
}

/** Parses a fetched page (its charset from the header, a meta tag, or UTF-8); cheerio is loaded on first use. */
export async function loadPage(body: Buffer, contentType: string | null): Promise<CheerioAPI> {
  const { loadBuffer } = await import('cheerio');
  return loadBuffer(body, { encoding: { defaultEncoding: 'utf-8', transportLayerEncodingLabel: charsetOf(contentType) } });
}

const clean = (s: string) => s.replace(/\s+/g, ' ').trim();

/** What a page shows: its text, newest date, links, list entries and footer identifiers. */
export function pageFacts($: CheerioAPI, baseUrl: string, today: string): PageFacts {
  $('script, style, noscript, template').remove();
  const text = clean($('body').length ? $('body').text() : $.root().text());
  const links: PageLink[] = [];
  const seen = new Set<string>();
  $('a[href]').each((_i, el) => {
    const href = ($(el).attr('href') ?? '').trim();
    if (!href || /^(javascript|mailto|tel|sms|data):/i.test(href) || href.startsWith('#')) return;
    let url: string;
    try {
      const u = new URL(href, baseUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return;
      u.hash = '';
      url = u.href;
    } catch {
      return;
    }
    const t = clean($(el).text()) || clean($(el).attr('title') ?? '');
    if (seen.has(url)) return;
    seen.add(url);
    links.push({ text: t, url });
  });
  // List entries: title-like link texts outside the page's frame.
  const body = $('body').clone();
  body.find('header, nav, footer, [class*="foot"], [id*="foot"], [class*="nav"], [id*="nav"], [class*="head"], [id*="head"], [class*="menu"], [id*="menu"]').remove();
  let entries = 0;
  body.find('a[href]').each((_i, el) => {
    const t = clean($(el).text());
    if ([...t].length >= 8 && !ICP_RE.test(t) && !/公网安备|标识码/.test(t)) entries++;
  });
  return {
    text,
    newestDate: newestDate(text, today),
    links,
    entries,
    saysEmpty: EMPTY_RE.test(clean(body.text())),
    icp: ICP_RE.exec(text)?.[0].replace(/\s+/g, '') ?? null,
    police: POLICE_RE.exec(text)?.[0].replace(/\s+/g, '') ?? null,
    siteCode: SITE_CODE_RE.exec(text)?.[1] ?? null,
  };
}

/** The link to a column by its name: the exact link text first, then the closest one containing it. */
export function findColumnLink(links: PageLink[], name: string): PageLink | null {
  const norm = (s: string) => s.replace(/[\s>»›·|｜/]/g, '').toLowerCase();
  const n = norm(name);
  if (!n) return null;
  const exact = links.find((l) => norm(l.text) === n);
  if (exact) return exact;
  const containing = links.filter((l) => norm(l.text).includes(n) && [...norm(l.text)].length <= [...n].length + 6);
  containing.sort((a, b) => a.text.length - b.text.length);
  if (containing[0]) return containing[0];
  // "通知公告" named, the link says "公告": a link text of 2+ characters inside the name.
  const inside = links.filter((l) => norm(l.text).length >= 2 && n.includes(norm(l.text)) && !/^(首页|更多|返回|主页)$/.test(norm(l.text)));
  inside.sort((a, b) => b.text.length - a.text.length);
  return inside[0] ?? null;
}
