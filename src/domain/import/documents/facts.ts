/**
 * The notice's own facts, read from its prose lines where GB/T 9704 puts them: the document
 * number (发文字号) in the header, the title (发文机关 + 关于 + 事由 + 文种, often over two
 * lines), the signature and the date of issue (成文日期) at the end of the body, the report
 * deadline and inspection period in the body, the attachment list (附件说明) and each
 * attachment's label and title. Never a web page's publication date nor the 印发 line.
 */
import { isPrintedLine } from './furniture';
import type { Block, TableBlock, TextBlock } from './model';

export interface NoticeFacts {
  docNo: string | null;
  title: string | null;
  issuer: string | null;
  issuedOn: string | null;
  reportDueOn: string | null;
  period: { from: string; to: string } | null;
}

export interface Attachment {
  /** 0: tables in the body, before any attachment label. */
  number: number;
  title: string | null;
  at: number | null;
}

export interface PlacedTable {
  table: TableBlock;
  attachment: number;
  /** The text just above the table (its own title, e.g. "抽查发现存在突出问题政务新媒体名单"). */
  caption: string | null;
}

const CN_DIGITS: Record<string, number> = { 〇: 0, 零: 0, '○': 0, Ｏ: 0, O: 0, 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** "2022", "二〇二二" → 2022; "11", "十一", "二十一" → 11, 21. */
export function cnNumber(s: string): number | null {
  const t = s.normalize('NFKC').replace(/\s+/g, '');
  if (/^\d+$/.test(t)) return Number(t);
  if (/^[〇零○OＯ一二三四五六七八九]{2,4}$/.test(t)) return Number([...t].map((c) => CN_DIGITS[c]).join(''));
  const m = /^([一二三四五六七八九])?(十)?([一二三四五六七八九])?$/.exec(t);
  if (!m || (!m[1] && !m[2] && !m[3])) return null;
  if (!m[2]) return m[1] ? CN_DIGITS[m[1]] : CN_DIGITS[m[3]];
  return (m[1] ? CN_DIGITS[m[1]] : 1) * 10 + (m[3] ? CN_DIGITS[m[3]] : 0);
}

const Y = '(\\d{4}|[〇零○OＯ一二三四五六七八九]{4})';
const MD = '(\\d{1,2}|[一二三四五六七八九十]{1,3})';
const DATE = new RegExp(`${Y}\\s*年\\s*${MD}\\s*月\\s*${MD}\\s*日`, 'u');
const DATE_ONLY = new RegExp(`^${Y}\\s*年\\s*${MD}\\s*月\\s*${MD}\\s*日$`, 'u');
const SIGNED_DATE = new RegExp(`^(\\S{2,40}?)\\s+${Y}\\s*年\\s*${MD}\\s*月\\s*${MD}\\s*日$`, 'u');

function isoDate(y: number, m: number, d: number): string | null {
  if (!(y >= 1990 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31)) return null;
  const iso = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  const dt = new Date(`${iso}T00:00:00Z`);
  return dt.getUTCMonth() + 1 === m && dt.getUTCDate() === d ? iso : null;
}

function dateOf(y: string, m: string, d: string): string | null {
  const [yy, mm, dd] = [cnNumber(y), cnNumber(m), cnNumber(d)];
  return yy === null || mm === null || dd === null ? null : isoDate(yy, mm, dd);
}

/** Text of a title: whitespace removed, except between two Latin words. */
export function compact(s: string): string {
  return s.replace(/\s+/g, (sp, i: number, all: string) => (/[A-Za-z0-9]/.test(all[i - 1] ?? '') && /[A-Za-z]/.test(all[i + sp.length] ?? '') ? ' ' : '')).trim();
}

const ORG = /^[\u4e00-\u9fa5（）()、]{2,40}$/u;
const ORG_END = /(政府|办公室|办公厅|委员会|局|厅|室|部|办|小组|中心|文件|委|院|会|处|公司|支队|大队|政务公开办)$/u;
const isOrg = (t: string) => ORG.test(t) && ORG_END.test(t);

const DOC_NO = /([\u4e00-\u9fa5]{1,14})\s*[〔\[［【(（]\s*((?:19|20)\d{2})\s*[〕\]］】)）]\s*(\d{1,5})\s*号/u;

const LABEL = /^附\s*件\s*(\d{1,2}|[一二三四五六七八九十]{1,3})?\s*[:：]?\s*$/u;
const LABEL_WITH_TITLE = /^附\s*件\s*(\d{1,2})\s*[:：]\s*(\S.*)$/u;
const LIST_START = /^[-•·*]?\s*附\s*件\s*[:：]\s*(.*)$/u;
const LIST_ITEM = /^(\d{1,2})\s*[.．、]\s*(\S.*)$/u;

export interface NoticeLayout {
  facts: NoticeFacts;
  attachments: Attachment[];
  tables: PlacedTable[];
}

/** Finds the facts, the attachments and where each table sits. */
export function noticeLayout(blocks: Block[]): NoticeLayout {
  const texts: { b: TextBlock; i: number }[] = [];
  blocks.forEach((b, i) => {
    if (b.kind === 'text') texts.push({ b, i });
  });
  const lines = texts.map((t) => t.b.text.trim());

  // Attachment list (附件说明) and labels.
  let listTitles: string[] = [];
  let listAt = -1;
  for (let k = 0; k < lines.length; k++) {
    const m = LIST_START.exec(lines[k]);
    if (!m || LABEL.test(lines[k])) continue;
    const first = m[1].trim();
    const items: string[] = [];
    const it = LIST_ITEM.exec(first);
    if (it) items.push(it[2]);
    else if (first) items.push(first);
    let j = k + 1;
    while (j < lines.length) {
      const n = LIST_ITEM.exec(lines[j]);
      if (!n) break;
      items.push(n[2]);
      j++;
    }
    listTitles = items.map((t) => compact(t).replace(/[。；;]$/u, ''));
    listAt = j - 1;
    break;
  }
  const attachments: Attachment[] = [{ number: 0, title: null, at: null }];
  const labelAt = new Map<number, number>(); // text index → attachment number
  for (let k = listAt + 1; k < lines.length; k++) {
    const l = LABEL.exec(lines[k]);
    const lt = l ? null : LABEL_WITH_TITLE.exec(lines[k]);
    if (!l && !lt) continue;
    const number = cnNumber((l ?? lt)![1] ?? '') ?? attachments.length;
    let title: string | null = lt ? compact(lt[2]) : null;
    if (!title) {
      // The title is the next line of prose before any table (the label's own page).
      const next = texts[k + 1];
      const tableBetween = next && blocks.slice(texts[k].i + 1, next.i).some((b) => b.kind === 'table');
      if (next && !tableBetween && !LABEL.test(lines[k + 1])) title = compact(lines[k + 1]);
    }
    title ??= listTitles[number - 1] ?? null;
    attachments.push({ number, title, at: texts[k].i });
    labelAt.set(texts[k].i, number);
  }

  // Tables, each in the attachment above it, with the prose line just above it as caption.
  const tables: PlacedTable[] = [];
  let current = 0;
  let caption: string | null = null;
  blocks.forEach((b, i) => {
    if (labelAt.has(i)) {
      current = labelAt.get(i)!;
      caption = null;
    } else if (b.kind === 'text') caption = compact(b.text);
    else {
      tables.push({ table: b, attachment: current, caption });
      caption = null;
    }
  });

  const firstLabel = attachments[1]?.at ?? blocks.length;
  const bodyTexts = texts.filter((t) => t.i < firstLabel && !isPrintedLine(t.b.text));
  const body = bodyTexts.map((t) => t.b.text.trim());

  // Title: the first line ending in a document type, joined with the lines it continues.
  let titleAt = -1;
  let title: string | null = null;
  for (let k = 0; k < Math.min(body.length, 80); k++) {
    const t = compact(body[k]);
    if (t.length < 8 || t.length > 120 || /[。：:；]/u.test(t) || /^文件标题/u.test(t) || bodyTexts[k].b.text.includes('\t')) continue;
    if (!/(通报|通知|报告|决定|意见|函|情况)$/u.test(t)) continue;
    const parts = [t];
    for (let p = k - 1; p >= Math.max(0, k - 2); p--) {
      const prev = compact(body[p]);
      if (parts.join('').includes('关于') && !/关于/u.test(prev)) break;
      if (!prev || isOrg(prev) || DOC_NO.test(prev) || DATE.test(prev) || /[。：:；，,]$/u.test(prev) || prev.length > 40) break;
      parts.unshift(prev);
    }
    title = parts.join('');
    titleAt = k;
    break;
  }

  // Document number: in the header, above the title, on a line of its own.
  let docNo: string | null = null;
  for (let k = 0; k < (titleAt >= 0 ? titleAt : Math.min(body.length, 30)); k++) {
    const m = DOC_NO.exec(body[k]);
    if (!m) continue;
    const rest = compact(body[k].replace(m[0], ''));
    if (rest.length > 16 && !/签发人/u.test(rest)) continue;
    docNo = `${m[1]}〔${m[2]}〕${m[3]}号`;
    break;
  }

  // Date of issue: the last date standing alone (or after the signature) before the attachments.
  let issuedOn: string | null = null;
  let issuer: string | null = null;
  for (let k = body.length - 1; k > Math.max(titleAt, -1); k--) {
    const t = body[k];
    const only = DATE_ONLY.exec(t.replace(/\s+/g, ''));
    const signed = only ? null : SIGNED_DATE.exec(t.trim());
    if (!only && !(signed && isOrg(compact(signed[1])))) continue;
    const d = only ? dateOf(only[1], only[2], only[3]) : dateOf(signed![2], signed![3], signed![4]);
    if (!d) continue;
    issuedOn = d;
    if (signed) issuer = compact(signed[1]);
    else if (k > 0 && isOrg(compact(body[k - 1]))) issuer = compact(body[k - 1]);
    break;
  }
  if (!issuer && title) {
    const at = title.indexOf('关于');
    if (at >= 2 && isOrg(title.slice(0, at))) issuer = title.slice(0, at);
  }
  if (!issuer) {
    for (let k = (titleAt >= 0 ? titleAt : Math.min(body.length, 10)) - 1; k >= 0; k--) {
      const t = compact(body[k]).replace(/文件$/u, '');
      if (isOrg(t) && !/(笺|单)$/u.test(t)) {
        issuer = t;
        break;
      }
    }
  }

  // Deadline and inspection period, from the body's sentences.
  const year = issuedOn ? Number(issuedOn.slice(0, 4)) : null;
  const sentences = body
    .slice(Math.max(0, titleAt + 1))
    .join('')
    .split(/[。；;]/u);
  const dated = (y: string | undefined, m: string, d: string, fallbackYear: number | null): string | null => {
    if (y) return dateOf(y, m, d);
    if (fallbackYear === null) return null;
    let iso = dateOf(String(fallbackYear), m, d);
    if (iso && issuedOn && iso < issuedOn && Number(iso.slice(5, 7)) < Number(issuedOn.slice(5, 7)) - 6) iso = dateOf(String(fallbackYear + 1), m, d);
    return iso;
  };
  const DUE = new RegExp(`(?:${Y}\\s*年\\s*)?${MD}\\s*月\\s*${MD}\\s*日\\s*(?:前|之前|以前|24时前|下班前)`, 'gu');
  let reportDueOn: string | null = null;
  let fallbackDue: string | null = null;
  for (const s of sentences) {
    if (!/(报送|报|反馈|提交|上报|报告)/u.test(s)) continue;
    for (const m of s.matchAll(DUE)) {
      const d = dated(m[1], m[2], m[3], year);
      if (!d) continue;
      if (/整改/u.test(s)) {
        reportDueOn ??= d;
      } else fallbackDue ??= d;
    }
    if (reportDueOn) break;
  }
  reportDueOn ??= fallbackDue;

  let period: NoticeFacts['period'] = null;
  const RANGE = new RegExp(`(?:${Y}\\s*年\\s*)?${MD}\\s*月\\s*${MD}\\s*日?\\s*(?:至|到|—|-|–|~|～)\\s*(?:${Y}\\s*年\\s*)?${MD}\\s*月\\s*${MD}\\s*日`, 'u');
  for (const s of sentences) {
    if (!/(检查|抽查|监测|采集|采样|巡查|检测)/u.test(s)) continue;
    const m = RANGE.exec(s);
    if (!m) continue;
    const baseYear = m[1] ? cnNumber(m[1]) : year;
    const from = dated(m[1], m[2], m[3], baseYear);
    const to = dated(m[4] ?? (m[1] ? String(baseYear) : undefined), m[5], m[6], baseYear);
    if (from && to && from <= to) {
      period = { from, to };
      break;
    }
  }

  return {
    facts: { docNo, title, issuer, issuedOn, reportDueOn, period },
    attachments,
    tables,
  };
}
