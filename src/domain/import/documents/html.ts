/**
 * HTML (a saved web page, or the HTML mammoth makes of a DOCX) to blocks, with parse5: each
 * block-level element is a line of prose; each table is a table, its merged cells (rowspan,
 * colspan) copied into every position they cover, as a spreadsheet's merged cells read. A table
 * holding other tables is page layout, read as prose around its inner tables. Script, style and
 * the page's navigation are skipped.
 */
import { isFurniture, stripTags } from './furniture';
import type { Block } from './model';

interface Node {
  nodeName: string;
  tagName?: string;
  value?: string;
  childNodes?: Node[];
  content?: Node;
  attrs?: { name: string; value: string }[];
}

const SKIP = new Set(['script', 'style', 'noscript', 'template', 'head', 'nav', 'select', 'button', 'iframe', 'svg', 'object']);
const BLOCK = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'footer', 'aside', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'ul', 'ol', 'dl', 'dt', 'dd',
  'blockquote', 'pre', 'address', 'figure', 'figcaption', 'center', 'form', 'fieldset', 'hr', 'body', 'html', 'caption',
]);

const attr = (n: Node, name: string) => n.attrs?.find((a) => a.name === name)?.value;

function hasTable(n: Node): boolean {
  for (const c of n.childNodes ?? []) if (c.nodeName === 'table' || hasTable(c)) return true;
  return false;
}

/** The text of a cell: block elements and <br> become line breaks. */
function cellText(n: Node): string {
  let out = '';
  const walk = (x: Node) => {
    if (x.nodeName === '#text') {
      out += x.value ?? '';
      return;
    }
    if (x.nodeName === '#comment' || SKIP.has(x.nodeName)) return;
    if (x.nodeName === 'br') {
      out += '\n';
      return;
    }
    const block = BLOCK.has(x.nodeName);
    if (block && out && !out.endsWith('\n')) out += '\n';
    for (const c of x.childNodes ?? []) walk(c);
    if (block && out && !out.endsWith('\n')) out += '\n';
  };
  walk(n);
  return stripTags(
    out
      .split('\n')
      .map((l) => l.replace(/[ \t\u00a0\u3000]+/g, ' ').trim())
      .filter(Boolean)
      .join('\n'),
  );
}

function tableRows(table: Node): string[][] {
  const trs: Node[] = [];
  const collect = (n: Node) => {
    for (const c of n.childNodes ?? []) {
      if (c.nodeName === 'tr') trs.push(c);
      else if (c.nodeName === 'thead' || c.nodeName === 'tbody' || c.nodeName === 'tfoot') collect(c);
    }
  };
  collect(table);
  const grid: string[][] = [];
  trs.forEach((tr, r) => {
    grid[r] ??= [];
    let col = 0;
    for (const td of tr.childNodes ?? []) {
      if (td.nodeName !== 'td' && td.nodeName !== 'th') continue;
      while (grid[r][col] !== undefined) col++;
      const text = cellText(td);
      const rs = Math.min(Math.max(1, Number(attr(td, 'rowspan')) || 1), 1000);
      const cs = Math.min(Math.max(1, Number(attr(td, 'colspan')) || 1), 100);
      for (let dr = 0; dr < rs; dr++) {
        grid[r + dr] ??= [];
        for (let dc = 0; dc < cs; dc++) grid[r + dr][col + dc] = text;
      }
      col += cs;
    }
  });
  return grid.map((row) => Array.from({ length: row.length }, (_, i) => row[i] ?? ''));
}

/**
 * Reads HTML into prose lines and tables; `line` counts blocks (HTML has no useful lines).
 * parse5 (~9 MB once loaded) is loaded here, for web pages and DOCX only, not in every parse worker.
 */
export async function htmlBlocks(html: string): Promise<Block[]> {
  const { parse } = await import('parse5');
  const doc = parse(html) as unknown as Node;
  const blocks: Block[] = [];
  let buf = '';
  let n = 0;
  const flush = () => {
    for (const part of buf.split('\n')) {
      const t = stripTags(part.replace(/[ \u00a0\u3000]+/g, ' ').trim());
      if (t && !isFurniture(t)) blocks.push({ kind: 'text', text: t, at: { line: ++n } });
    }
    buf = '';
  };
  const walk = (x: Node) => {
    if (x.nodeName === '#text') {
      buf += (x.value ?? '').replace(/\r?\n/g, ' ');
      return;
    }
    if (x.nodeName === '#comment' || x.nodeName === '#documentType' || SKIP.has(x.nodeName)) return;
    if (x.nodeName === 'br') {
      buf += '\n';
      return;
    }
    if (x.nodeName === 'table' && !hasTable(x)) {
      flush();
      const rows = tableRows(x).filter((r) => r.some((c) => c.trim()));
      if (rows.length) blocks.push({ kind: 'table', rows, at: rows.map(() => ({ line: ++n })) });
      return;
    }
    const block = BLOCK.has(x.nodeName) || x.nodeName === 'table' || x.nodeName === 'tr' || x.nodeName === 'td' || x.nodeName === 'th';
    if (block) buf += '\n';
    for (const c of x.childNodes ?? []) walk(c);
    if (x.content) walk(x.content);
    if (block) buf += '\n';
  };
  walk(doc);
  flush();
  return blocks;
}
