/**
 * Problem cells: splitting a cell into its problems and classifying each into the taxonomy.
 *
 * Hard separators: 、 ； ; line breaks, numbered items (1. 1、 (1) ①) and whitespace after a
 * closing bracket ("…(负责人姓名缺失) 3 个栏目存在…"). Separators inside brackets or quotes never
 * split ("应更新未更新(在线访谈、调查征集)"). Commas (， ,) split too, but a fragment that is not a
 * problem by itself (no category and no negative wording: "账号已注销", "…的通知") is context for
 * the problem after it and stays joined to it. Original text is always kept.
 */
import type { Category } from '../problems/taxonomy';

export interface ProblemPart {
  text: string;
  category: Category;
}

const OPEN = '(（[【《“‘「『〔';
const CLOSE = ')）]】》”’」』〕';

/** Hard separators outside brackets. */
const HARD = new Set(['、', '；', ';', '\n', '\r']);
const SOFT = new Set(['，', ',']);

const NUMBERED = /^(?:\d{1,2}[.．、)）](?!\d)|[(（]\d{1,2}[)）]|[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]|[一二三四五六七八九十][、.．])/;

interface Piece {
  text: string;
  /** Separator that ended the previous piece: 'hard' | 'soft'. */
  before: 'hard' | 'soft' | 'start';
}

/** A numbered item's prefix at the start of `s` (1. 1、 1) (1) ① 一、) and its number. */
const ITEM = /^(?:(\d{1,2})[.．、)）](?!\d)|[(（](\d{1,2})[)）]|([①-⑳])|([一二三四五六七八九十])[、.．])/;
function itemAt(s: string): { length: number; n: number } | null {
  const m = ITEM.exec(s);
  if (!m) return null;
  const n = m[1] ?? m[2] ? Number(m[1] ?? m[2]) : m[3] ? m[3].charCodeAt(0) - 0x2460 + 1 : '一二三四五六七八九十'.indexOf(m[4]) + 1;
  return { length: m[0].length, n };
}

function tokenize(cell: string): Piece[] {
  const s = cell.replace(/\r\n?/g, '\n');
  const pieces: Piece[] = [];
  let depth = 0;
  let cur = '';
  let before: Piece['before'] = 'start';
  /** The number the next numbered item would carry, once a list has started. */
  let nextItem: number | null = null;
  const push = (next: Piece['before']) => {
    pieces.push({ text: cur, before });
    cur = '';
    before = next;
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    // A numbered item starts a new problem: at the start of a piece, after a space or
    // punctuation, or anywhere when it carries the next number of the list ("1、…2、…",
    // "（1）…（2）…"). Its prefix is dropped, so the 、 of "1、" does not split.
    const item = depth === 0 ? itemAt(s.slice(i, i + 4)) : null;
    if (item) {
      const atStart = cur.trim() === '';
      const afterSep = /[\s。；;，,、:：]/.test(s[i - 1] ?? '');
      if (atStart || afterSep || item.n === nextItem || /[①-⑳]/.test(ch)) {
        if (!atStart) push('hard');
        nextItem = item.n + 1;
        i += item.length - 1;
        continue;
      }
    }
    if (OPEN.includes(ch)) depth++;
    else if (CLOSE.includes(ch)) depth = Math.max(0, depth - 1);
    if (depth === 0 && HARD.has(ch)) {
      push('hard');
      continue;
    } else if (depth === 0 && SOFT.has(ch)) {
      push('soft');
      continue;
    } else if (
      depth === 0 &&
      /\s/.test(ch) &&
      /[)）\]】」』〕”]$/.test(cur.trimEnd()) &&
      i + 1 < s.length &&
      /\S/.test(s[i + 1])
    ) {
      // "…(负责人姓名缺失) 3 个栏目…": whitespace after a closing bracket ends a problem.
      push('hard');
      continue;
    }
    cur += ch;
  }
  push('hard');
  return pieces
    .map((p) => ({ ...p, text: tidy(p.text) }))
    .filter((p) => p.text.length > 0);
}

/** Trims whitespace, numbering and trailing punctuation. */
function tidy(t: string): string {
  let s = t.replace(/\s+/g, ' ').trim();
  s = s.replace(NUMBERED, '').trim();
  s = s.replace(/^[。；;，,、:：\s]+|[。；;，,、\s]+$/g, '').trim();
  return s;
}

// Classification rules in priority order; the first match wins.
const RULES: [Category, RegExp][] = [
  ['work_order_timeout', /(监测工单|工单.*(超时|逾期|未及时|未按时)|(超时|逾期|未及时|未按时).*工单)/],
  ['security', /(隐私|泄露|泄密|安全漏洞|漏洞|密码|篡改|挂马|暗链|弱口令|网络安全|安全隐患|被攻击)/],
  ['closure', /(待注销|应予注销|予以注销|需注销|拟注销|未及时注销|应注销未注销|应关未关|应关停未关停|(未|没有?|尚未)[^，,；;]{0,24}(注销|关停)|注销后|私开|违规开设)/],
  ['filing', /(备案|报送系统|未补报|补报|未报备|未纳入|信息不一致|数据不一致|登记信息|未录入)/],
  ['empty_column', /(空白栏目|空栏目|栏目为空|栏目.{0,6}空白|空白页|空白频道|无内容)/],
  ['no_policy_interpretation', /政策解读/],
  ['wording_error', /(表述错误|表述不规范|错别字|错字|错敏|敏感词|写为|写成|误写|用语不规范|提法错误|错误表述)/],
  ['lax_review', /(审核不严|审核把关|日期不实|信息不实|机构职能|信息不准确|内容不准确|转载.*(来源|未标)|来源不明|发布.*(错误|不当))/],
  ['poor_interaction', /(留言|互动|回应|答复|回复|咨询|信箱|菜单|调查征集.*未|在线访谈.*未)/],
  ['not_updated', /(更新|断更|停更|无更新|未更新|长期未|不活跃|僵尸|频率|发布量|发文量)/],
];

/** Classifies one problem text. Bracketed remarks are ignored first ("应更新未更新(在线访谈…)"). */
export function classifyProblem(text: string): Category {
  const t = text.normalize('NFKC');
  const bare = t.replace(/\([^)]*\)|\[[^\]]*\]|【[^】]*】/g, '');
  for (const candidate of [bare, t]) {
    for (const [cat, re] of RULES) if (re.test(candidate)) return cat;
  }
  return 'other';
}

/** Words that make a fragment a problem statement even when no category matches it. */
const NEGATIVE = /(未|不|无|缺|错|漏|少|低|差|失|违|泄|过期|失效|断|空白|超|慢|弱|乱|假)/;

const HAN = /[\p{Script=Han}，。：；、）)」』〕”]/u;
const HAN_START = /[\p{Script=Han}（(「『〔“]/u;

/**
 * Whitespace between Chinese characters is where a PDF or a web page wrapped the cell
 * ("备案类型错误：应 为服务号 严重表述错误"): it joins, unless the text before it and the text
 * after it are each a problem of a different category, when it separates two problems.
 */
function resolveStraySpaces(cell: string): string {
  if (!/\s/.test(cell)) return cell;
  const segments: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < cell.length; i++) {
    const ch = cell[i];
    if (OPEN.includes(ch)) depth++;
    else if (CLOSE.includes(ch)) depth = Math.max(0, depth - 1);
    if (depth === 0 && /[ \t\u3000]/.test(ch) && HAN.test(cell[i - 1] ?? '') ) {
      let j = i;
      while (j < cell.length && /[ \t\u3000]/.test(cell[j])) j++;
      if (HAN_START.test(cell[j] ?? '')) {
        segments.push(cur);
        cur = '';
        i = j - 1;
        continue;
      }
    }
    cur += ch;
  }
  segments.push(cur);
  if (segments.length === 1) return cell;
  let out = segments[0];
  let piece = segments[0];
  for (const seg of segments.slice(1)) {
    const a = classifyProblem(piece);
    const b = classifyProblem(seg);
    if (a !== 'other' && b !== 'other' && a !== b) {
      out += `；${seg}`;
      piece = seg;
    } else {
      out += seg;
      piece += seg;
    }
  }
  return out;
}

/** Splits a problem cell into problems, each classified. Empty cells give no problems. */
export function splitProblems(cell: string): ProblemPart[] {
  const pieces = tokenize(resolveStraySpaces(cell));
  const out: ProblemPart[] = [];
  let pending: string | null = null; // a context fragment waiting for the problem it belongs to
  let pendingSep = '，';
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    let text = p.text;
    if (pending !== null) {
      text = `${pending}${pendingSep}${text}`;
      pending = null;
    }
    const category = classifyProblem(text);
    const next = pieces[i + 1];
    const isContext = category === 'other' && !NEGATIVE.test(text);
    if (isContext && next) {
      pending = text;
      pendingSep = next.before === 'soft' ? '，' : '、';
      continue;
    }
    out.push({ text, category });
  }
  if (pending !== null) out.push({ text: pending, category: classifyProblem(pending) });
  return out;
}
