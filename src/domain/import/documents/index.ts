/**
 * readNotice: a published notice (text, web page, DOCX, DOC, PDF with a text layer) in, its
 * facts and tables out. Pure: bytes in, plain serialisable data out, nothing process-wide
 * touched, so it can run in a worker or child process with its own memory limit.
 */
import { decodeBuffer, detectEncoding } from '../encoding';
import { recognizeHeader } from '../headers';
import { noticeLayout, type NoticeFacts } from './facts';
import { htmlBlocks } from './html';
import { DEFAULT_READ_LIMITS, DocumentReadError, type Block, type DocumentFormat, type ReadLimits, type SourceRef } from './model';
import { pdfBlocks } from './pdf';
import { textBlocks } from './text';

export { DocumentReadError, DEFAULT_READ_LIMITS, type ReadLimits, type DocumentFormat, type NoticeFacts };

export interface ReadTable {
  /** 1-based, in document order. */
  index: number;
  /** Attachment number (0: in the body). */
  attachment: number;
  caption: string | null;
  rows: string[][];
  at: SourceRef[];
  /** A summary table (counts, rates per district): it lists no flagged target. */
  summary: boolean;
}

export interface NoticeReading {
  format: DocumentFormat;
  facts: NoticeFacts;
  attachments: { number: number; title: string | null }[];
  tables: ReadTable[];
  /** The prose lines, for showing the source next to what was found. */
  text: { text: string; at: SourceRef }[];
  pages: number | null;
  diagnostics: string[];
}

const has = (bytes: Buffer, ascii: string, limit = bytes.length) => bytes.subarray(0, limit).includes(Buffer.from(ascii, 'latin1'));

/**
 * The document format of a file from its bytes (and, for plain text, its name): null when it is
 * a table file (CSV, TSV, JSON, XLSX, XLS) for the table importer.
 */
export function documentFormat(head: Buffer, fileName: string, whole?: Buffer): DocumentFormat | null {
  const bytes = whole ?? head;
  if (has(head, '%PDF-', 1024)) return 'pdf';
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return has(bytes, 'word/') ? 'docx' : null;
  }
  if (head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0) {
    return bytes.includes(Buffer.from('WordDocument', 'utf16le')) ? 'doc' : null;
  }
  const ext = fileName.toLowerCase().replace(/^.*\./, '.');
  const start = head.subarray(0, 4096).toString('latin1').replace(/^\uFEFF|^\xef\xbb\xbf/, '').trimStart().toLowerCase();
  if (ext === '.html' || ext === '.htm' || ext === '.xhtml' || start.startsWith('<!doctype html') || start.startsWith('<html')) return 'html';
  if (ext === '.txt' || ext === '.md' || ext === '.text' || ext === '.markdown') return 'text';
  return null;
}

function isNumeric(c: string): boolean {
  return /^[\d.,%％\s-]+$/u.test(c.trim()) && /\d/.test(c);
}

/** A table of counts and rates (per district, per unit): numbers in most columns, no problem column. */
export function isSummaryTable(rows: string[][]): boolean {
  if (rows.length < 2) return false;
  const headerAt = rows.findIndex((r) => r.filter((c) => c.trim()).length >= 2);
  if (headerAt < 0) return false;
  const header = rows[headerAt];
  if (header.some((h) => h.trim() && h.trim().length <= 30 && recognizeHeader(h) === 'problem' && !/(数|率|量)$/u.test(h.trim()))) return false;
  const data = rows.slice(headerAt + 1).filter((r) => r.filter((c) => c.trim()).length >= 2);
  if (!data.length) return false;
  const width = Math.max(...data.map((r) => r.length));
  let numericCols = 0;
  for (let c = 0; c < width; c++) {
    const cells = data.map((r) => r[c] ?? '').filter((x) => x.trim());
    if (cells.length && cells.filter(isNumeric).length >= cells.length * 0.8) numericCols++;
  }
  return numericCols >= 2 && numericCols * 2 >= width - 1;
}

async function docxHtml(bytes: Buffer): Promise<string> {
  const mammoth = await import('mammoth');
  try {
    const r = await (mammoth.default ?? mammoth).convertToHtml({ buffer: bytes });
    return r.value;
  } catch (e) {
    throw new DocumentReadError(`无法读取 Word 文件（.docx 损坏或不是 Word 文档）：${(e as Error).message}`);
  }
}

async function docText(bytes: Buffer): Promise<string> {
  const mod = await import('word-extractor');
  const WordExtractor = ((mod as unknown as { default?: typeof mod }).default ?? mod) as unknown as new () => { extract(b: Buffer): Promise<{ getBody(o?: { filterUnicode?: boolean }): string }> };
  try {
    const doc = await new WordExtractor().extract(bytes);
    return doc.getBody({ filterUnicode: false });
  } catch (e) {
    throw new DocumentReadError(`无法读取 Word 97-2003 文件（.doc 损坏或格式不受支持）：${(e as Error).message}；可在 Word/WPS 中另存为 .docx 或 PDF 后再导入`);
  }
}

/** Reads a notice document. Throws DocumentReadError (in Chinese) for what cannot be read. */
export async function readNotice(bytes: Buffer, fileName: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<NoticeReading> {
  if (bytes.length === 0) throw new DocumentReadError('文件为空');
  if (bytes.length > limits.maxBytes) throw new DocumentReadError(`文件过大（${Math.round(bytes.length / 1048576)} MB，上限 ${Math.round(limits.maxBytes / 1048576)} MB）`);
  const format = documentFormat(bytes, fileName, bytes);
  if (!format) throw new DocumentReadError('不是可识别的通报文件（支持 .txt/.md、.html、.docx、.doc、.pdf）');
  let blocks: Block[];
  let pages: number | null = null;
  const diagnostics: string[] = [];
  switch (format) {
    case 'pdf': {
      const r = await pdfBlocks(bytes, limits);
      blocks = r.blocks;
      pages = r.pages;
      diagnostics.push(...r.diagnostics);
      break;
    }
    case 'docx':
      blocks = await htmlBlocks(await docxHtml(bytes));
      break;
    case 'doc':
      blocks = textBlocks(await docText(bytes));
      break;
    case 'html': {
      const enc = detectEncoding(bytes.subarray(0, 64 * 1024), bytes.length <= 64 * 1024);
      let html = decodeBuffer(bytes, enc, true);
      const declared = /<meta[^>]+charset\s*=\s*["']?\s*(gb2312|gbk|gb18030)/iu.exec(html.slice(0, 4096));
      if (declared && enc !== 'gb18030') html = decodeBuffer(bytes, 'gb18030');
      blocks = await htmlBlocks(html);
      break;
    }
    default: {
      const enc = detectEncoding(bytes.subarray(0, 64 * 1024), bytes.length <= 64 * 1024);
      blocks = textBlocks(decodeBuffer(bytes, enc, true));
    }
  }
  const layout = noticeLayout(blocks);
  let rowsLeft = limits.maxRows;
  const tables: ReadTable[] = layout.tables.map((t, i) => {
    const rows = t.table.rows.slice(0, Math.max(0, rowsLeft));
    rowsLeft -= rows.length;
    return { index: i + 1, attachment: t.attachment, caption: t.caption, rows, at: t.table.at.slice(0, rows.length), summary: isSummaryTable(rows) };
  });
  if (rowsLeft < 0) diagnostics.push(`表格行数超过上限 ${limits.maxRows}，其余行未读取`);
  return {
    format,
    facts: layout.facts,
    attachments: layout.attachments.filter((a) => a.number > 0).map((a) => ({ number: a.number, title: a.title })),
    tables,
    text: blocks.filter((b) => b.kind === 'text').map((b) => ({ text: (b as { text: string }).text, at: (b as { at: SourceRef }).at })),
    pages,
    diagnostics,
  };
}
