/**
 * Reading monitoring work orders out of pasted text: what a platform shows or sends (a 工单
 * notice as text, a chat forward, a copied table row), one message or several. Each message
 * becomes a draft with what could be read (number, account, platform, unit, problem, time,
 * deadline when stated, link) and the list of what is missing; the admin confirms or corrects.
 *
 * Two layouts are read: "label：value" lines (any of the labels platforms use, full- or
 * half-width colons, or a tab) and prose ("你单位开设的抖音号“某某发布”存在…，请于…前反馈").
 * Several messages are split at separator lines, at a repeated number or account label, and
 * at numbered headings ("1." / "【工单2】").
 */
import { DateTime } from 'luxon';
import { instantAt } from '../calendar/dates';
import { cleanText, platformFamilies } from '../import/identity';

export interface ParsedDraft {
  external_no: string | null;
  target: string | null;
  platform: string | null;
  unit: string | null;
  problem: string | null;
  /** ISO-8601 with offset, or null. */
  received_at: string | null;
  /** A deadline stated in the message as an instant (ISO-8601 with offset), or null. */
  due_at: string | null;
  /** The deadline as written ("1个工作日内", "12月3日18:00前"). */
  due_text: string | null;
  external_url: string | null;
  /** What the message says about where it came from (省级平台, 网民留言, …), when it says. */
  source_hint: string | null;
  /** Required fields not found: target, problem. */
  missing: string[];
  /** The message text this draft was read from. */
  text: string;
}

export interface ParseTextOptions {
  zone: string;
  /** HH:MM: the time of a deadline stated as a date only. */
  cutoff: string;
  /** "Now": the year of dates written without one. */
  now: Date;
}

type Field = 'external_no' | 'target' | 'platform' | 'unit' | 'problem' | 'received' | 'due' | 'url' | 'problem_url' | 'source';

// Labels in the order they are tried (longer, more specific ones first).
const LABELS: [Field, string[]][] = [
  ['external_no', ['工单编号', '工单号码', '工单号', '任务编号', '事件编号', '派单编号', '问题编号', '单号', '编号']],
  ['unit', ['主办单位', '开设主体', '认证主体', '开设单位', '责任单位', '运营单位', '运维单位', '承办单位', '处置单位', '所属单位', '单位名称', '单位']],
  ['platform', ['所属平台', '平台类型', '账号类型', '帐号类型', '媒体类型', '平台名称', '平台']],
  [
    'target',
    ['账号名称', '帐号名称', '新媒体名称', '政务新媒体名称', '公众号名称', '网站名称', '栏目名称', '监测对象', '被监测对象', '对象名称', '账号', '帐号', '公众号', '网站', '名称'],
  ],
  ['problem', ['问题描述', '存在问题', '监测问题', '具体问题', '问题内容', '问题详情', '问题类型', '工单内容', '问题', '内容']],
  ['due', ['办理时限', '处置时限', '整改时限', '反馈时限', '办结时限', '要求完成时间', '要求反馈时间', '截止时间', '完成时限', '时限', '期限']],
  ['received', ['派单时间', '下发时间', '派发时间', '推送时间', '接收时间', '发现时间', '监测时间', '创建时间', '交办时间', '时间']],
  ['url', ['工单链接', '工单地址', '办理链接', '办理地址', '详情链接', '处理链接']],
  ['problem_url', ['问题链接', '原文链接', '文章链接', '页面地址', '问题网址', '链接', '网址', '地址']],
  ['source', ['工单来源', '来源', '派单单位', '交办单位']],
];

const SEP = '[:：\\t]';

/**
 * Full-width letters, digits and a few signs become half-width (for matching numbers and
 * dates); Chinese punctuation (，。；) is kept as written, because values are shown as they were.
 */
export function lightNormalize(s: string): string {
  return s
    .replace(/[\uFF01-\uFF5E]/g, (c) => ('，；：（）【】！？'.includes(c) ? c : String.fromCharCode(c.charCodeAt(0) - 0xfee0)))
    .replace(/\u3000/g, ' ');
}
const LABEL_RE: { field: Field; re: RegExp }[] = LABELS.flatMap(([field, labels]) =>
  labels.map((l) => ({ field, re: new RegExp(`^\\s*(?:[-*•·]\\s*)?(?:【${l}】\\s*[:：\\t]?|\\[${l}\\]\\s*[:：\\t]?|${l}\\s*${SEP})\\s*(.*)$`) })),
);

const ALL_LABELS = LABELS.flatMap(([, labels]) => labels).sort((a, b) => b.length - a.length);
/** Where a second "label：" starts within one line ("账号：某某发布，平台：抖音，问题：…"). */
const INLINE_LABEL = new RegExp(`(?<=[，,；;。】\\]])\\s*(?=(?:${ALL_LABELS.join('|')})\\s*[:：])`, 'g');

/** Lines of a message, a line holding several "label：value" pairs cut before each label. */
function messageLines(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    const parts = line.split(INLINE_LABEL);
    // The separator before each label belongs to neither value.
    return parts.map((p, i) => (i < parts.length - 1 ? p.replace(/[，,；;。]\s*$/, '') : p));
  });
}

/** A line "label：value": its field and value, or null. */
function labelled(line: string): { field: Field; value: string } | null {
  for (const { field, re } of LABEL_RE) {
    const m = re.exec(line);
    if (m) return { field, value: m[1].trim() };
  }
  return null;
}

const SEPARATOR = /^\s*([-=*_—~＝－]{3,}|#{3,}|第\s*\d+\s*条)\s*$/;
/** A heading that starts a message: "1." "2、" "（3）" "【工单2】" "工单 3". */
const HEADING = /^\s*(\d{1,3}\s*[.、)）]|[（(]\d{1,3}[)）]|【[^】]{0,20}工单[^】]{0,10}】|[【\[]?(内容)?监测工单\s*\d+[】\]]?)/;

/** Splits pasted text into the messages it holds. */
export function splitMessages(text: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: string[][] = [];
  let cur: string[] = [];
  let seen = new Set<Field>();
  let lastFieldIndex = -1;
  const flush = () => {
    if (cur.some((l) => l.trim())) blocks.push(cur);
    cur = [];
    seen = new Set();
    lastFieldIndex = -1;
  };
  for (const raw of lines) {
    const line = lightNormalize(raw);
    if (SEPARATOR.test(line)) {
      flush();
      continue;
    }
    const f = labelled(line);
    if (f && (f.field === 'external_no' || f.field === 'target') && seen.has(f.field)) {
      // A second number (or account) starts the next message: the heading lines just before it go with it.
      let from = cur.length;
      while (from - 1 > lastFieldIndex && (!cur[from - 1].trim() || isHeadingLike(cur[from - 1]))) from--;
      const carried = cur.splice(from);
      flush();
      cur.push(...carried);
    } else if (!f && HEADING.test(line) && seen.size >= 2) {
      flush();
    }
    cur.push(raw);
    if (f) {
      seen.add(f.field);
      lastFieldIndex = cur.length - 1;
    }
  }
  flush();
  // A block holding only headings or greetings (no field, no prose problem) joins the next one.
  const out: string[] = [];
  let carry = '';
  for (const b of blocks) {
    const t = b.join('\n').trim();
    if (!t) continue;
    if (!looksLikeOrder(t)) {
      carry = carry ? `${carry}\n${t}` : t;
      continue;
    }
    out.push(carry ? `${carry}\n${t}` : t);
    carry = '';
  }
  if (carry && out.length) out[out.length - 1] += `\n${carry}`;
  else if (carry) out.push(carry);
  return out;
}

/** A title line of a message: a numbered heading, a line naming the kind of notice, or a short line without punctuation. */
function isHeadingLike(line: string): boolean {
  const t = line.trim();
  return HEADING.test(t) || /(工单|通知|提醒|监测|派单|转办|交办|督办|留言)/.test(t) || ([...t].length <= 20 && !/[。；，,;：:]/.test(t));
}

/** Text that reads like a platform's work order: a number plus an account or a problem, or two of the usual fields. */
export function looksLikeOrder(text: string): boolean {
  const t = lightNormalize(text);
  const fields = new Set(messageLines(t).map(labelled).filter(Boolean).map((f) => f!.field));
  if (fields.size >= 3) return true;
  if (fields.has('external_no') && (fields.has('target') || fields.has('problem'))) return true;
  const prose = /(账号|帐号|公众号|微博|抖音|快手|网站|头条号|视频号)/.test(t) && /(存在|问题|未更新|错别字|不更新|断更|表述|整改)/.test(t);
  return prose && /(工单|派单|监测|请于|时限|反馈)/.test(t);
}

const URL_RE = /https?:\/\/[^\s，。；;、"“”'<>（）()]+/i;

/** Parses every message in the text. */
export function parsePlatformText(text: string, o: ParseTextOptions): ParsedDraft[] {
  return splitMessages(text).map((m) => parseMessage(m, o));
}

/** Parses one message. */
export function parseMessage(message: string, o: ParseTextOptions): ParsedDraft {
  const text = message.trim();
  const norm = lightNormalize(text);
  const got: Partial<Record<Field, string>> = {};
  const lines = messageLines(norm);
  for (let i = 0; i < lines.length; i++) {
    const f = labelled(lines[i]);
    if (!f) continue;
    let value = f.value;
    // A problem may go on over the next lines, until the next label.
    if (f.field === 'problem') {
      for (let j = i + 1; j < lines.length && !labelled(lines[j]) && lines[j].trim() && !SEPARATOR.test(lines[j]); j++) value += `\n${lines[j].trim()}`;
    }
    if (value && got[f.field] === undefined) got[f.field] = value;
  }

  // Prose: the fields a sentence carries.
  const number = got.external_no ?? /(?:工单|编号|单号)\s*(?:编号|号)?\s*[:：为是]?\s*[(（「“"]?([A-Za-z0-9][A-Za-z0-9\-_/]{3,})/.exec(norm)?.[1] ?? null;
  const quoted = /(?:账号|帐号|公众号|微博|抖音号?|快手号?|头条号|视频号|网站|小程序|客户端|号)\s*[“"「『《]([^”"」』》]{1,60})[”"」』》]/.exec(norm)?.[1] ?? /[“"「『《]([^”"」』》]{2,60})[”"」』》]/.exec(norm)?.[1] ?? null;
  let target = cleanField(got.target) ?? (quoted ? cleanText(quoted) : null);
  let platform = cleanField(got.platform);
  if (target) {
    // "抖音：某某发布" or "某某发布（抖音）" in the account field itself.
    const m = /^(.*?)[(（]([^()（）]{1,12})[)）]$/.exec(target);
    if (m && !platform && platformFamilies(m[2])[0].family.indexOf('other:') !== 0) {
      target = m[1].trim();
      platform = m[2].trim();
    }
  }
  if (!platform) platform = platformIn(norm);
  const unit = cleanField(got.unit) ?? /(?:你单位|贵单位)?[“"]?([\p{Script=Han}（）()]{2,40}?(?:局|委员会|委|办公室|办|中心|政府|街道办事处|街道|镇|乡|院|所|馆|站|队|公司|厅|部))[”"]?(?:开设|主办|运营)的/u.exec(norm)?.[1] ?? null;
  let problem = cleanField(got.problem);
  if (!problem) {
    const m = /(?:存在|发现|监测到|出现)([^。！!\n]{2,300}?)(?:[，,]\s*(?:请|要求|须|需)|[。！!\n]|$)/.exec(norm);
    if (m) problem = cleanText(m[1]).replace(/^[：:，,]/, '').trim() || null;
  }
  const urlLabelled = got.url ? URL_RE.exec(got.url)?.[0] ?? null : null;
  const anyUrl = URL_RE.exec(norm)?.[0] ?? null;
  const problemUrl = got.problem_url ? URL_RE.exec(got.problem_url)?.[0] ?? null : null;
  const externalUrl = urlLabelled ?? (anyUrl && anyUrl !== problemUrl ? anyUrl : null);

  const receivedText = got.received ?? timeInProse(norm);
  const received = receivedText ? parseWhen(receivedText, o, false) : null;
  const dueText = cleanField(got.due) ?? /(?:请|须|需|要求)?于?\s*([0-9年月日\-/.:：\s时点分]{4,30}?)\s*前(?:完成|整改|反馈|办结|处置|回复)/.exec(norm)?.[1]?.trim() ?? (/(\d+\s*个?工作日内)/.exec(norm)?.[1] ?? null);
  const due = dueText ? parseWhen(dueText.replace(/前$/, ''), o, true, received) : null;

  const draft: ParsedDraft = {
    external_no: cleanField(got.external_no) ?? number,
    target,
    platform,
    unit: unit ? cleanText(unit) : null,
    problem,
    received_at: received ? iso(received, o.zone) : null,
    due_at: due ? iso(due, o.zone) : null,
    due_text: dueText,
    external_url: externalUrl,
    source_hint: cleanField(got.source) ?? sourceIn(norm),
    missing: [],
    text,
  };
  if (draft.external_no) draft.external_no = draft.external_no.replace(/[。；;，,]+$/, '');
  if (!draft.target) draft.missing.push('target');
  if (!draft.problem) draft.missing.push('problem');
  return draft;
}

function cleanField(v: string | undefined): string | null {
  if (v === undefined) return null;
  // Quotes around the whole value go; quotes inside it stay.
  const t = cleanText(v.replace(/^[“"「]([^“”"「」]*)[”"」]$/, '$1'));
  return t ? t : null;
}

const PLATFORM_WORDS =
  /(微信公众号|微信服务号|微信订阅号|微信视频号|视频号|公众号|新浪微博|微博|抖音号?|快手号?|今日头条|头条号|西瓜视频|哔哩哔哩|小红书|百家号|企鹅号|网易号|南方号|小程序|客户端|政府网站|门户网站|网站)/;

function platformIn(text: string): string | null {
  const m = PLATFORM_WORDS.exec(text);
  if (!m) return null;
  // "抖音号" names the platform 抖音; "头条号", "百家号" are the platforms' own names.
  return m[1] === '抖音号' || m[1] === '快手号' ? m[1].slice(0, -1) : m[1];
}

function sourceIn(text: string): string | null {
  if (/省.{0,8}(监管|监测|管理)平台|省政务新媒体|省级|监管平台/.test(text)) return '省监管平台';
  if (/市.{0,8}(监测|监管|检测)/.test(text)) return '市级监测';
  if (/网民留言|群众留言|网友留言|12345/.test(text)) return '网民留言';
  return null;
}

const DATE_TIME = /(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*\d{1,2}\s*[:：时点]\s*\d{1,2}(?:\s*[:：分]\s*\d{1,2})?)/g;

/** The receipt time in a sentence: after 派单时间 and the like, else the first date-time that is no deadline ("…前"). */
function timeInProse(text: string): string | undefined {
  const labelled = new RegExp(`(?:派单|下发|派发|推送|接收|发现|监测|交办)时间\\s*[:：为是]?\\s*${DATE_TIME.source}`).exec(text);
  if (labelled) return labelled[1];
  for (const m of text.matchAll(DATE_TIME)) {
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 3);
    if (!/^\s*(前|之前|以前)/.test(after)) return m[1];
  }
  return undefined;
}

/**
 * A date-time as written ("2026-11-27 15:32", "2026年11月27日15时32分", "11月27日 15:32",
 * "2026/11/27"). A deadline given as a date only falls at the cutoff; "N个工作日内" is left to
 * the rules (null). Dates without a year take the year of `relativeTo` (or now).
 */
function parseWhen(s: string, o: ParseTextOptions, isDue: boolean, relativeTo?: Date | null): Date | null {
  const t = lightNormalize(s).replace(/\s+/g, ' ').trim();
  if (/工作日|自然日|小时内|天内/.test(t) && !/\d{1,2}\s*[月/-]\s*\d{1,2}/.test(t)) return null;
  const m = /(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s*(?:T|\s)?\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})?(?:\s*[:：分]\s*(\d{1,2}))?)?/.exec(t);
  if (!m) return null;
  const base = DateTime.fromJSDate(relativeTo ?? o.now, { zone: o.zone });
  const year = m[1] ? Number(m[1]) : base.year;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const date = DateTime.fromObject({ year, month, day }, { zone: o.zone });
  if (!date.isValid) return null;
  if (m[4] === undefined) return isDue ? instantAt(date.toISODate(), o.cutoff, o.zone) : date.toJSDate();
  const dt = date.set({ hour: Number(m[4]), minute: Number(m[5] ?? 0), second: Number(m[6] ?? 0) });
  return dt.isValid ? dt.toJSDate() : null;
}

function iso(d: Date, zone: string): string {
  return DateTime.fromJSDate(d, { zone }).toISO({ suppressMilliseconds: true })!;
}
