/**
 * PDF with a text layer to blocks. pdf.js (pdfjs-dist, legacy build for Node) gives positioned
 * text; everything else is rebuilt here from positions alone:
 *  - runs of text on one baseline close together are one fragment; fragments far apart on a
 *    line are cells;
 *  - a table is a run of lines with several fragments (plus the short lines between them:
 *    wrapped cells, section rows); its columns are the x ranges that the fragments of those
 *    lines cover, separated by gutters no fragment crosses;
 *  - records: going down, a fragment continues the cell above it in its column when that
 *    cell's last line was full (reached the column's right edge), starts where it started (or
 *    is centred like it) and sits one line below; a fragment in a column whose cell is already
 *    complete starts the next record. This holds whether cells are top-aligned (LibreOffice,
 *    Word) or vertically centred (browsers);
 *  - a table that ends a page and one that starts the next with the same columns are one.
 */
import path from 'node:path';
import { platformFamilies } from '../identity';
import { fixRadicals, isFurniture, stripTags } from './furniture';
import { isHeaderWord } from './text';
import { DocumentReadError, type Block, type ReadLimits, type SourceRef } from './model';

interface Frag {
  x0: number;
  x1: number;
  y: number;
  s: number;
  text: string;
}

interface VLine {
  y: number;
  s: number;
  page: number;
  line: number;
  frags: Frag[];
}

type TextItem = { str?: string; transform?: number[]; width?: number; height?: number };

/**
 * pdf.js runs in a worker thread of plain Node (no loader hooks: under tsx, pdf.js's 3 MB of
 * modules would otherwise be transpiled on every start), with its own heap limit; pages come
 * back one at a time, so neither thread holds the whole document's text at once.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(async () => {
  const pdfjs = await import(pathToFileURL(workerData.pdfjs).href);
  const worker = await import(pathToFileURL(workerData.worker).href);
  globalThis.pdfjsWorker = worker;
  let doc;
  try {
    doc = await pdfjs.getDocument({
      data: workerData.data,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      verbosity: 0,
      cMapUrl: workerData.cMapUrl,
      cMapPacked: true,
      standardFontDataUrl: workerData.standardFontDataUrl,
    }).promise;
  } catch (e) {
    parentPort.postMessage({ error: { name: e && e.name, message: String(e && e.message) } });
    return;
  }
  const pages = Math.min(doc.numPages, workerData.maxPages);
  parentPort.postMessage({ numPages: doc.numPages });
  for (let p = 1; p <= pages; p++) {
    const page = await doc.getPage(p);
    const content = await page.getTextContent();
    const items = content.items.filter((it) => typeof it.str === 'string').map((it) => ({ str: it.str, transform: it.transform, width: it.width, height: it.height }));
    parentPort.postMessage({ page: p, height: page.view[3], items });
    page.cleanup();
  }
  await doc.destroy();
  parentPort.postMessage({ done: true });
})().catch((e) => parentPort.postMessage({ error: { name: e && e.name, message: String(e && e.message) } }));
`;

type WorkerMessage =
  | { numPages: number }
  | { page: number; height: number; items: TextItem[] }
  | { done: true }
  | { error: { name: string; message: string } };

/** The text items of each page, in page order, from pdf.js in a worker thread. */
export async function* pdfPages(bytes: Buffer, maxPages: number): AsyncGenerator<WorkerMessage> {
  const nodeModule = (process as unknown as { getBuiltinModule(id: string): typeof import('node:module') }).getBuiltinModule('module');
  const req = nodeModule.createRequire(__filename);
  const dir = path.dirname(req.resolve('pdfjs-dist/package.json'));
  const { Worker } = (process as unknown as { getBuiltinModule(id: string): typeof import('node:worker_threads') }).getBuiltinModule('worker_threads');
  const data = new Uint8Array(bytes.byteLength);
  data.set(bytes);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: 512 },
    workerData: {
      data,
      maxPages,
      pdfjs: path.join(dir, 'legacy', 'build', 'pdf.mjs'),
      worker: path.join(dir, 'legacy', 'build', 'pdf.worker.mjs'),
      cMapUrl: path.join(dir, 'cmaps') + path.sep,
      standardFontDataUrl: path.join(dir, 'standard_fonts') + path.sep,
    },
    transferList: [data.buffer],
  });
  const queue: WorkerMessage[] = [];
  let wake: (() => void) | null = null;
  let failed: Error | null = null;
  let ended = false;
  worker.on('message', (m: WorkerMessage) => {
    queue.push(m);
    wake?.();
  });
  worker.on('error', (e) => {
    failed = e;
    wake?.();
  });
  worker.on('exit', () => {
    ended = true;
    wake?.();
  });
  try {
    for (;;) {
      if (queue.length) {
        const m = queue.shift()!;
        yield m;
        if ('done' in m || 'error' in m) return;
        continue;
      }
      if (failed) throw new DocumentReadError(`无法读取 PDF 文件：${(failed as Error).message}`);
      if (ended) throw new DocumentReadError('读取 PDF 文件时解析进程意外退出（文件可能过大或已损坏）');
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
  } finally {
    await worker.terminate();
  }
}

const isAscii = (ch: string | undefined) => !!ch && /[A-Za-z0-9.@:/_-]/.test(ch);

/**
 * Joins the wrapped lines of one cell: directly between Chinese characters, with a space next to
 * a Latin word (a line breaks at the space before a word that does not fit: "蒙阴旅游 mengyintour").
 */
function joinText(a: string, b: string): string {
  if (!a) return b;
  return isAscii(a[a.length - 1]) || isAscii(b[0]) ? `${a} ${b}` : `${a}${b}`;
}

/** The visual lines of one page, top to bottom, fragments left to right. */
function pageLines(items: TextItem[], page: number): Omit<VLine, 'line'>[] {
  const runs: Frag[] = [];
  for (const it of items) {
    if (typeof it.str !== 'string' || !it.transform) continue;
    const [a, b, c, d, e, f] = it.transform;
    if (Math.abs(b) > 0.01 || Math.abs(c) > 0.01) continue; // rotated text (stamps, margins)
    const text = fixRadicals(it.str);
    if (!text.trim()) continue;
    const s = Math.abs(d) || Math.abs(a) || it.height || 10;
    runs.push({ x0: e, x1: e + (it.width ?? 0), y: f, s, text });
  }
  runs.sort((p, q) => q.y - p.y || p.x0 - q.x0);
  const lines: Omit<VLine, 'line'>[] = [];
  for (const r of runs) {
    const last = lines[lines.length - 1];
    if (last && Math.abs(last.y - r.y) <= 0.3 * Math.min(last.s, r.s)) last.frags.push(r);
    else lines.push({ y: r.y, s: r.s, page, frags: [r] });
  }
  for (const l of lines) {
    l.frags.sort((p, q) => p.x0 - q.x0);
    const merged: Frag[] = [];
    for (const f of l.frags) {
      const prev = merged[merged.length - 1];
      const gap = prev ? f.x0 - prev.x1 : Infinity;
      if (prev && gap < 0.6 * Math.min(prev.s, f.s)) {
        // A visible gap is a space (kept: it may separate two problems in one cell).
        prev.text = gap > 0.2 * f.s ? `${prev.text.trimEnd()} ${f.text.trimStart()}` : prev.text + f.text;
        prev.x1 = Math.max(prev.x1, f.x1);
      } else merged.push({ ...f });
    }
    for (const m of merged) m.text = m.text.replace(/\s+/g, ' ').trim();
    l.frags = merged.filter((m) => m.text);
    l.s = Math.max(...l.frags.map((m) => m.s));
  }
  return lines.filter((l) => l.frags.length);
}

const lineText = (l: VLine) => l.frags.map((f) => f.text).reduce((a, b) => (a ? `${a} ${b}` : b), '');

/** A line with at least two fragments far apart: cells of a table row. */
function isTabular(l: VLine): boolean {
  for (let i = 1; i < l.frags.length; i++) if (l.frags[i].x0 - l.frags[i - 1].x1 >= 0.9 * l.s) return true;
  return false;
}

/** A single line that ends a table: a title, a label, a note. */
function endsTable(l: VLine, cols?: Column[]): boolean {
  const t = lineText(l);
  if (/^(附件|注[:：]|说明[:：]|备注[:：])/u.test(t) || /(名单|清单|一览表|情况表|统计表|汇总表|信息表|检查表|情况|通报)$/u.test(t)) return true;
  // A long line is prose, unless it sits inside a column right of the first (a long cell).
  return t.length > 30 && !(cols && cols.length > 1 && l.frags[0].x0 > cols[0].x1);
}

interface Region {
  lines: VLine[];
}

interface Column {
  x0: number;
  x1: number;
}

/** A line of header words (its fragments are known header spellings): centred over its column. */
const isHeaderLine = (l: VLine) => l.frags.filter((f) => isHeaderWord(f.text)).length >= 2;

function columnsOf(lines: VLine[]): Column[] {
  const tabular = lines.filter(isTabular);
  // Columns come from the data rows: header cells are often centred where data is left-aligned.
  let data = tabular.filter((l) => !isHeaderLine(l));
  if (data.length > 2 && data[0] === tabular[0]) data = data.slice(1);
  const spans = (data.length ? data : tabular).flatMap((l) => l.frags.map((f) => ({ x0: f.x0, x1: f.x1, s: f.s }))).sort((a, b) => a.x0 - b.x0);
  const cols: Column[] = [];
  const merge = (list: { x0: number; x1: number; s: number }[]) => {
    for (const sp of list) {
      const last = cols[cols.length - 1];
      if (last && sp.x0 < last.x1 + Math.max(2, 0.25 * sp.s)) last.x1 = Math.max(last.x1, sp.x1);
      else cols.push({ x0: sp.x0, x1: sp.x1 });
    }
  };
  merge(spans);
  // A column whose cells are all vertically centred over two lines has no fragment on the row's
  // middle line: its fragments sit alone on their lines, between the other columns.
  const lone = lines
    .filter((l) => !isTabular(l))
    .flatMap((l) => l.frags.map((f) => ({ x0: f.x0, x1: f.x1, s: f.s })))
    .filter((f) => !cols.some((c) => Math.min(c.x1, f.x1) - Math.max(c.x0, f.x0) > -Math.max(2, 0.25 * f.s)));
  if (lone.length) {
    const all = [...cols.map((c) => ({ ...c, s: 0 })), ...lone].sort((a, b) => a.x0 - b.x0);
    cols.length = 0;
    merge(all);
  }
  return cols;
}

function columnOf(cols: Column[], f: Frag): number {
  let best = 0;
  let bestOverlap = -Infinity;
  cols.forEach((c, i) => {
    const overlap = Math.min(c.x1, f.x1) - Math.max(c.x0, f.x0);
    if (overlap > bestOverlap) {
      best = i;
      bestOverlap = overlap;
    }
  });
  return best;
}

interface Cell {
  text: string;
  last: Frag;
  full: boolean;
}

/** Rebuilds the rows of one table region. */
function regionRows(lines: VLine[]): { rows: string[][]; at: SourceRef[]; cols: Column[] } {
  const cols = columnsOf(lines);
  const right = cols.map(() => -Infinity);
  const assigned = lines.map((l) =>
    l.frags.map((f) => {
      const c = columnOf(cols, f);
      if (isTabular(l)) right[c] = Math.max(right[c], f.x1);
      return { f, c };
    }),
  );
  const rows: string[][] = [];
  const at: SourceRef[] = [];
  let cells: (Cell | undefined)[] = [];
  let start: VLine | null = null;
  const flush = () => {
    if (!start) return;
    rows.push(cols.map((_, i) => cells[i]?.text ?? ''));
    at.push({ page: start.page, line: start.line });
    cells = [];
    start = null;
  };
  lines.forEach((l, li) => {
    const parts = assigned[li];
    const continues = (c: number, f: Frag) => {
      const cell = cells[c];
      if (!cell) return null;
      if (!cell.full) return false;
      const p = cell.last;
      const below = p.y - f.y;
      const aligned = Math.abs(f.x0 - p.x0) <= 0.35 * f.s || Math.abs((f.x0 + f.x1) / 2 - (p.x0 + p.x1) / 2) <= 0.35 * f.s;
      return below > 0 && below <= 2.3 * f.s && aligned;
    };
    const conflict = parts.some(({ c, f }) => continues(c, f) === false);
    const spanning = !isTabular(l) && parts.length === 1 && cols.filter((c) => c.x0 < parts[0].f.x1 && c.x1 > parts[0].f.x0).length > 1;
    if (conflict || spanning) flush();
    start ??= l;
    for (const { c, f } of parts) {
      const cell = cells[c];
      const full = right[c] > -Infinity && f.x1 >= right[c] - 1.5 * f.s && !spanning;
      if (cell && continues(c, f)) cells[c] = { text: joinText(cell.text, f.text), last: f, full };
      else if (cell) cells[c] = { text: `${cell.text}\n${f.text}`, last: f, full };
      else cells[c] = { text: f.text, last: f, full };
    }
    if (spanning) flush();
  });
  flush();
  // A record holding only text in a column or two below a record, with nothing in its first
  // column, continues that record (a cell with a line break, or a line wrapped early).
  const out: string[][] = [];
  const outAt: SourceRef[] = [];
  rows.forEach((r, i) => {
    const filled = r.filter((c) => c.trim()).length;
    const prev = out[out.length - 1];
    const onlyText = r.find((c) => c.trim()) ?? '';
    const section = filled === 1 && onlyText.length <= 12 && platformFamilies(onlyText).every((p) => !p.family.startsWith('other:') && p.family !== 'unknown');
    if (prev && !r[0].trim() && filled > 0 && filled * 2 < r.length && !section && prev.some((c) => c.trim())) {
      r.forEach((c, j) => {
        if (c.trim()) prev[j] = prev[j] ? joinText(prev[j], c) : c;
      });
      return;
    }
    out.push(r);
    outAt.push(at[i]);
  });
  return { rows: out, at: outAt, cols };
}

/** Splits a page's lines into prose lines and table regions. */
function pageBlocks(lines: VLine[]): (VLine | Region)[] {
  const out: (VLine | Region)[] = [];
  let i = 0;
  while (i < lines.length) {
    if (!isTabular(lines[i])) {
      out.push(lines[i]);
      i++;
      continue;
    }
    const region: VLine[] = [lines[i]];
    // Short lines right above belong to the table too: a header cell wrapped over two lines,
    // the top line of a vertically centred cell.
    for (;;) {
      const prev = out[out.length - 1];
      if (!prev || isRegion(prev) || endsTable(prev) || prev.y - region[0].y > 3 * prev.s) break;
      region.unshift(out.pop() as VLine);
    }
    let j = i + 1;
    while (j < lines.length) {
      const l = lines[j];
      const prev = region[region.length - 1];
      if (prev.y - l.y > 4 * Math.max(l.s, prev.s)) break;
      if (isTabular(l)) {
        region.push(l);
        j++;
        continue;
      }
      if (endsTable(l, columnsOf(region))) break;
      // Short lines between rows (wrapped cells, section rows) belong to the table if a row follows.
      let k = j;
      const cols = columnsOf(region);
      while (k < lines.length && !isTabular(lines[k]) && !endsTable(lines[k], cols) && lines[k - 1].y - lines[k].y <= 4 * lines[k].s) k++;
      const last = region[region.length - 1];
      const nearEnd = k >= lines.length || !isTabular(lines[k]);
      if (nearEnd) {
        // Trailing short lines: keep those that sit right under the table (wrapped last cells).
        let m = j;
        let y = last.y;
        while (m < k && y - lines[m].y <= 3 * lines[m].s && lines[m].frags.every((f) => columnsOf(region).some((c) => f.x0 >= c.x0 - f.s && f.x1 <= c.x1 + 4 * f.s))) {
          y = lines[m].y;
          region.push(lines[m]);
          m++;
        }
        j = m;
        break;
      }
      for (; j < k; j++) region.push(lines[j]);
    }
    out.push({ lines: region });
    i = j;
  }
  return out;
}

const isRegion = (b: VLine | Region): b is Region => 'lines' in b;

function sameColumns(a: Column[], b: Column[]): boolean {
  if (a.length !== b.length || a.length < 2) return false;
  return a.every((c, i) => Math.min(c.x1, b[i].x1) - Math.max(c.x0, b[i].x0) > 0);
}

/** Reads a PDF's text layer into prose lines and tables. */
export async function pdfBlocks(bytes: Buffer, limits: ReadLimits): Promise<{ blocks: Block[]; pages: number; diagnostics: string[] }> {
  const diagnostics: string[] = [];
  const blocks: Block[] = [];
  let lineNo = 0;
  let textChars = 0;
  let numPages = 0;
  let pending: { rows: string[][]; at: SourceRef[]; cols: Column[] } | null = null;
  const flushTable = () => {
    if (pending && pending.rows.length) blocks.push({ kind: 'table', rows: pending.rows, at: pending.at });
    pending = null;
  };
  for await (const m of pdfPages(bytes, limits.maxPages)) {
    if ('error' in m) {
      if (m.error.name === 'PasswordException') throw new DocumentReadError('PDF 文件已加密（需要密码），无法读取；请导出未加密的 PDF 或另存为 Word 后再导入');
      throw new DocumentReadError(`无法读取 PDF 文件（文件损坏或不是 PDF）：${m.error.message}`);
    }
    if ('numPages' in m) {
      numPages = m.numPages;
      if (numPages > limits.maxPages) diagnostics.push(`PDF 共 ${numPages} 页，只读取了前 ${limits.maxPages} 页`);
      continue;
    }
    if ('done' in m) break;
    const p = m.page;
    const pageHeight = m.height || 842;
    const lines: VLine[] = pageLines(m.items, p)
      .map((l) => ({ ...l, line: 0 }))
      .filter((l) => !(l.frags.length === 1 && isFurniture(l.frags[0].text, l.y < 72 || l.y > pageHeight - 72)));
    for (const l of lines) {
      l.line = ++lineNo;
      for (const f of l.frags) f.text = stripTags(f.text);
      textChars += l.frags.reduce((n, f) => n + f.text.length, 0);
    }
    const parts = pageBlocks(lines);
    parts.forEach((b, idx) => {
      if (isRegion(b)) {
        const t = regionRows(b.lines);
        if (idx === 0 && pending && sameColumns(pending.cols, t.cols)) {
          pending.rows.push(...t.rows);
          pending.at.push(...t.at);
        } else {
          flushTable();
          pending = t;
        }
      } else {
        flushTable();
        blocks.push({ kind: 'text', text: lineText(b), at: { page: p, line: b.line } });
      }
    });
  }
  flushTable();
  if (textChars === 0) {
    throw new DocumentReadError('PDF 中没有可提取的文字（可能是扫描件或图片）：请使用带文字层的 PDF，或先用 OCR 转换后再导入');
  }
  return { blocks, pages: numPages, diagnostics };
}
