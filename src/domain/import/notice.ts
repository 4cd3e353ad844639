/**
 * Importing a published notice document: the document reader's tables go through the same
 * table parser as a CSV or a workbook (each table like a sheet), summary tables are skipped and
 * said so, and what was found is summarised per attachment for the import result.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { documentFormat, readNotice, type DocumentFormat, type NoticeReading, type ReadLimits } from './documents';
import { DocumentReadError } from './documents/model';
import { compact } from './documents/facts';
import { classifyProblem } from './problems';
import { parseTables, type ParseOptions, type ParsedNotice, type TableInput } from './parse';
import { InputFormatError } from './readers';

export interface NoticeTableSummary {
  index: number;
  name: string;
  caption: string | null;
  headers: string[];
  rows: number;
  kind: string | null;
  skipped: string | null;
  /** Source text of the table (first rows), for showing beside what was found. */
  source: string[];
}

export interface NoticeAttachmentSummary {
  number: number;
  title: string | null;
  rows: number;
  kind: string | null;
  skipped: string | null;
  tables: NoticeTableSummary[];
}

export interface NoticeSummary {
  doc_no: string | null;
  title: string | null;
  issuer: string | null;
  issued_on: string | null;
  report_due_on: string | null;
  period: { from: string; to: string } | null;
  format: string;
  pages: number | null;
  attachments: NoticeAttachmentSummary[];
  /** Tables in the body, outside any attachment (a processing slip, a list in the text). */
  body_tables: NoticeTableSummary[];
  diagnostics: string[];
}

export interface NoticeDocument {
  fileName: string;
  sha256: string;
  reading: NoticeReading;
}

const HEAD_BYTES = 64 * 1024;

/**
 * The document format of a file (PDF, DOCX, DOC, HTML, text), or null for a table file (CSV,
 * XLSX, JSON) or a path that can't be read (the table reader then says what is wrong). Cheap: it
 * reads the first 64 KB, and the whole file only for a zip or OLE container.
 */
export async function noticeDocumentFormat(file: string): Promise<{ format: DocumentFormat; bytes: Buffer | null } | null> {
  let head: Buffer;
  try {
    const fh = await fs.promises.open(file, 'r');
    try {
      const buf = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
  const isZipOrOle = (head[0] === 0x50 && head[1] === 0x4b) || (head[0] === 0xd0 && head[1] === 0xcf);
  const bytes = isZipOrOle ? await fs.promises.readFile(file) : null;
  const format = documentFormat(head, path.basename(file), bytes ?? undefined);
  return format ? { format, bytes } : null;
}

/** Reads the file as a notice document when it is one (PDF, DOCX, DOC, HTML, text); null for a table file. */
export async function readNoticeDocument(file: string, limits?: ReadLimits): Promise<NoticeDocument | null> {
  const found = await noticeDocumentFormat(file);
  if (!found) return null;
  const all = found.bytes ?? (await fs.promises.readFile(file));
  try {
    const reading = await readNotice(all, path.basename(file), limits);
    return { fileName: path.basename(file), sha256: crypto.createHash('sha256').update(all).digest('hex'), reading };
  } catch (e) {
    if (e instanceof DocumentReadError) throw new InputFormatError(e.message);
    throw e;
  }
}

const tableName = (attachment: number, index: number) => (attachment > 0 ? `附件${attachment}（表${index}）` : `正文（表${index}）`);

/** The problem a table's title states, for a table without a problem column. */
function titleProblem(...titles: (string | null)[]): string | null {
  for (const t of titles) {
    if (!t) continue;
    const title = compact(t).replace(/^附件\s*\d*\s*[:：]?/u, '').replace(/^[《“]|[》”]$/gu, '');
    if (title && classifyProblem(title) !== 'other') return title;
  }
  return null;
}

export interface ParsedDocument {
  parsed: ParsedNotice;
  notice: NoticeSummary;
  /** A hash of what the notice says (facts and flagged items), the same whatever its file format. */
  contentSha256: string;
}

/** Parses a notice document's tables with the table importer and summarises what was found. */
export function parseNoticeDocument(doc: NoticeDocument, options: ParseOptions): ParsedDocument {
  const { reading } = doc;
  const attachmentTitle = new Map(reading.attachments.map((a) => [a.number, a.title]));
  const inputs: TableInput[] = [];
  const summaries = new Map<number, NoticeTableSummary>();
  for (const t of reading.tables) {
    const name = tableName(t.attachment, t.index);
    const header = t.rows.find((r) => r.filter((c) => c.trim()).length >= 2) ?? t.rows[0] ?? [];
    summaries.set(t.index, {
      index: t.index,
      name,
      caption: t.caption,
      headers: header.map((h) => compact(h)).filter(Boolean),
      rows: 0,
      kind: t.summary ? 'summary' : null,
      skipped: t.summary ? `汇总表（${header.map((h) => compact(h)).filter(Boolean).join('、')}），只有数量和比率，不列被通报对象，未导入` : null,
      source: t.rows.slice(0, 50).map((r) => r.join(' | ')),
    });
    if (t.summary) continue;
    inputs.push({
      name,
      rows: t.rows.map((cells, i) => ({ sheet: name, line: t.at[i]?.line ?? i + 1, cells })),
      context: { titleProblem: titleProblem(t.caption, attachmentTitle.get(t.attachment) ?? null) },
    });
  }
  const parsed = parseTables(inputs, { fileName: doc.fileName, sha256: doc.sha256, format: reading.format }, options);
  const byName = new Map(parsed.sheets.map((s) => [s.name, s]));
  for (const t of summaries.values()) {
    const sheet = byName.get(t.name);
    if (!sheet) continue;
    t.rows = sheet.rows;
    t.kind = sheet.kind;
    t.skipped = sheet.skipped ?? null;
    if (sheet.headers.length) t.headers = sheet.headers;
  }
  const attachments: NoticeAttachmentSummary[] = reading.attachments.map((a) => {
    const tables = reading.tables.filter((t) => t.attachment === a.number).map((t) => summaries.get(t.index)!);
    const used = tables.filter((t) => !t.skipped);
    const kinds = [...new Set(used.map((t) => t.kind).filter(Boolean))];
    return {
      number: a.number,
      title: a.title,
      rows: used.reduce((n, t) => n + t.rows, 0),
      kind: kinds.length === 1 ? kinds[0] : kinds.length > 1 ? 'mixed' : tables.length && tables.every((t) => t.kind === 'summary') ? 'summary' : null,
      skipped: tables.filter((t) => t.skipped).map((t) => `${t.name}：${t.skipped}`).join('；') || (tables.length ? null : '附件中没有表格'),
      tables,
    };
  });
  const body_tables = reading.tables.filter((t) => t.attachment === 0 || !attachmentTitle.has(t.attachment)).map((t) => summaries.get(t.index)!);

  // Nothing to import: say what was found instead of the parser's first complaint.
  const usable = parsed.sheets.filter((s) => !s.skipped);
  if (usable.length === 0) {
    const found = [...summaries.values()].map((t) => `${t.name}${t.caption ? `“${t.caption}”` : ''}（表头：${t.headers.join('、') || '无'}${t.kind === 'summary' ? '；汇总表' : ''}）`);
    parsed.rejected.splice(0, parsed.rejected.length, {
      line: 0,
      reason: found.length
        ? `文件中没有列出被通报对象的表格（需要名称或单位列，以及问题列或写明问题的表格标题）。找到的表格：${found.join('；')}`
        : '文件中没有找到表格：请确认附件表格在文件中（扫描件或图片中的表格无法读取）',
    });
  }

  const f = reading.facts;
  const contentSha256 = crypto
    .createHash('sha256')
    .update(JSON.stringify([f.title, f.issuer, f.issuedOn, parsed.items.map((i) => [i.identity, i.problems.map((p) => p.category)]).sort()]))
    .digest('hex');
  return {
    parsed,
    contentSha256,
    notice: {
      doc_no: f.docNo,
      title: f.title,
      issuer: f.issuer,
      issued_on: f.issuedOn,
      report_due_on: f.reportDueOn,
      period: f.period,
      format: reading.format,
      pages: reading.pages,
      attachments,
      body_tables,
      diagnostics: reading.diagnostics,
    },
  };
}
