/**
 * Page furniture: what surrounds a notice on a page or a web page without being part of it
 * (page numbers, share and QR-code prompts, the web page's publication line, the 抄送 and 印发
 * lines of the footer, the 附注 "（此件公开发布）"). Such lines are dropped before tables and
 * facts are looked for; 印发 lines are kept aside because their date is not the date of issue.
 */

const PAGE_NUMBER = /^(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d{1,4}\s*页(?:\s*[,，]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*\/\s*\d{1,4})$/u;

const FURNITURE: RegExp[] = [
  /扫一扫在手机上查看当前页面/u,
  /^[（(]此件(?:公开发布|主动公开|依申请公开|不予公开|删减后公开)[)）]$/u,
  /^(?:发布时间|发布日期|信息来源|来源|浏览次数|访问量|点击数|阅读次数|字号|【?字体)[:：]/u,
  /^(?:分享到|打印本页|关闭窗口|【打印】|【关闭】|相关链接|上一篇|下一篇)/u,
  /^抄送[:：]/u,
];

/**
 * Whether a line is page furniture (never a fact, never a table row). `bareNumbers`: a number
 * alone is a page number (a PDF's footer line), not a cell of a one-cell-per-line table.
 */
export function isFurniture(line: string, bareNumbers = false): boolean {
  const t = line.trim();
  if (!t) return false;
  if (PAGE_NUMBER.test(t) || (bareNumbers && /^\d{1,4}$/.test(t))) return true;
  return FURNITURE.some((re) => re.test(t.replace(/\s+/g, '')) || re.test(t));
}

/** An 印发 line of the footer ("某市人民政府办公室 2023年4月12日印发"). */
export function isPrintedLine(line: string): boolean {
  return /\d{1,2}\s*日\s*印\s*发\s*$/u.test(line.trim()) || /^印发[:：]/u.test(line.trim());
}

/** Inline HTML tags left in copied text ("<p>…</p>", "<u>通山县</u>") and entities. */
export function stripTags(s: string): string {
  if (!s.includes('<') && !s.includes('&')) return s;
  return s
    .replace(/<\/?(?:p|u|b|i|em|strong|span|font|br|div|sup|sub)(?:\s[^>]*)?\/?>/giu, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[ \u00a0]{2,}/g, ' ')
    .trim();
}

const RADICALS: Record<string, string> = {
  '\u2e8c': '小', '\u2e9c': '日', '\u2e9d': '月', '\u2e9f': '母', '\u2ea0': '民', '\u2ea7': '牛', '\u2ea9': '王',
  '\u2eac': '示', '\u2eb6': '羊', '\u2ebb': '聿', '\u2ebc': '肉', '\u2ebd': '臼', '\u2ec1': '虎', '\u2ec4': '西',
  '\u2ec5': '见', '\u2ec6': '角', '\u2ec9': '贝', '\u2ecb': '车', '\u2ed1': '長', '\u2ed3': '长', '\u2ed4': '门',
  '\u2ed7': '雨', '\u2ed8': '青', '\u2ed9': '韦', '\u2eda': '页', '\u2edb': '风', '\u2edc': '飞', '\u2edd': '食',
  '\u2ee2': '马', '\u2ee3': '骨', '\u2ee4': '鬼', '\u2ee5': '鱼', '\u2ee6': '鸟', '\u2ee7': '卤', '\u2ee8': '麦',
  '\u2ee9': '黄', '\u2eea': '黾', '\u2eec': '齐', '\u2eee': '齿', '\u2ef0': '龙', '\u2ef3': '龟',
};

/**
 * PDF producers (Chromium among them) map some glyphs to Kangxi radicals (⾚ ⼭ ⽹) or CJK
 * radical supplements (⻥ ⺠ ⻚) instead of the ideographs: back to the ideographs.
 */
export function fixRadicals(s: string): string {
  if (!/[\u2e80-\u2fdf]/u.test(s)) return s;
  return s.replace(/[\u2e80-\u2fdf]/gu, (ch) => RADICALS[ch] ?? (ch >= '\u2f00' ? ch.normalize('NFKC') : ch));
}
