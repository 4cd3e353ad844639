/**
 * Readers: a notice table file in, raw rows out (cells as text, with where each row came from).
 * CSV is parsed as a stream (csv-parse over an encoding decoder); XLSX is streamed by exceljs's
 * WorkbookReader, merged cells filled from the ranges the zip check noted (or, on request, read
 * whole by exceljs, which resolves them itself);
 * JSON is an array of objects validated with zod.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parse as parseCsv } from 'csv-parse';
import type ExcelJSModule from 'exceljs';
import { InputFormatError } from './errors';
import { checkFileSize, checkZipLimits, DEFAULT_INPUT_LIMITS, limitRows, type InputLimits, type ZipSummary } from './limits';
import { decodeBuffer, decoderStream, detectEncoding, detectFormat, notATable, type FileFormat, type TextEncoding } from './encoding';

export interface RawRow {
  /** XLSX sheet name; undefined for CSV and JSON. */
  sheet?: string;
  /** 1-based line (CSV: first physical line of the record; XLSX: row number; JSON: item number). */
  line: number;
  cells: string[];
  /**
   * XLSX: cells that hold a formula without a usable cached result (0-based column → why, in
   * Chinese). Formulas are never evaluated: the importer reads what Excel/WPS saved.
   */
  formulaIssues?: Map<number, string>;
}

/** JSON input has its keys as headers: the reader yields a synthetic header row first. */
export interface TableSource {
  format: FileFormat;
  encoding: TextEncoding | null;
  /** Rows of every selected sheet in order; each sheet's rows are contiguous. */
  rows: AsyncIterable<RawRow>;
}

export { InputFormatError };


const SAMPLE_BYTES = 64 * 1024;

const UNREADABLE = '无法读取 Excel 文件（文件损坏或不是 .xlsx）：';

/** The longest CSV record (characters); a notice's row is a few hundred. */
export const MAX_CSV_RECORD_CHARS = 1_000_000;

async function readSample(file: string): Promise<{ sample: Buffer; size: number }> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.min(SAMPLE_BYTES, size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { sample: buf.subarray(0, bytesRead), size };
  } finally {
    await fh.close();
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

export interface OpenOptions {
  /** XLSX: read only this sheet. */
  sheet?: string;
  /**
   * XLSX: stream the rows (the default) or, false, read the whole workbook with exceljs first
   * (several times the memory; the same rows).
   */
  xlsxStreaming?: boolean;
  /** Size and row limits; checked before the file is parsed (rows: as they are read). */
  limits?: InputLimits;
  /** What else the caller accepts, named in the error for a file that is not a table (e.g. 通报原文（PDF、Word、网页或文本）). */
  alsoAccepted?: string;
}

/** Opens a table file: detects format and encoding from its bytes and returns its rows. */
export async function openTable(file: string, options: OpenOptions = {}): Promise<TableSource> {
  let sample: Buffer;
  let size: number;
  try {
    ({ sample, size } = await readSample(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputFormatError(`文件不存在：${file}`);
    if (code === 'EISDIR') throw new InputFormatError(`这是一个目录，不是文件：${file}`);
    throw new InputFormatError(`无法读取文件 ${file}：${(e as Error).message}`);
  }
  if (size === 0) throw new InputFormatError('文件为空');
  const encoding = detectEncoding(sample, size <= sample.length);
  const format = detectFormat(sample, encoding);
  const other = format === 'csv' || format === 'json' ? notATable(sample, encoding) : null;
  if (other) {
    throw new InputFormatError(`这是${other}文件，不是表格${options.alsoAccepted ? `或${options.alsoAccepted}` : ''}：请上传 Excel（.xlsx）、CSV 或 JSON 表格${options.alsoAccepted ? `，或${options.alsoAccepted}` : ''}`);
  }
  if (format === 'xls') {
    throw new InputFormatError('不支持旧版 Excel（.xls，97-2003）格式：请在 Excel/WPS 中另存为 .xlsx 或 CSV 后再导入');
  }
  if (format !== 'xlsx' && options.sheet) {
    throw new InputFormatError('--sheet 只适用于 Excel（.xlsx）文件');
  }
  const limits = options.limits ?? DEFAULT_INPUT_LIMITS;
  const limited = (rows: AsyncIterable<RawRow>) => limitRows(rows, limits.maxRows);
  if (format === 'xlsx') {
    const zip = await checkZipLimits(file, limits);
    const streaming = options.xlsxStreaming ?? true;
    return { format, encoding: null, rows: limited(streaming ? xlsxRowsStreamingOrFull(file, zip, options.sheet) : await xlsxRowsFull(file, options.sheet)) };
  }
  await checkFileSize(file, limits);
  if (format === 'json') return { format, encoding, rows: limited(jsonRows(file, encoding)) };
  return { format, encoding, rows: limited(csvRows(file, encoding, sniffDelimiter(decodeBuffer(sample.subarray(0, 16 * 1024), encoding, true)))) };
}

/**
 * The field delimiter of a CSV-like text: comma, tab (Excel "text" export), semicolon or
 * vertical bar, whichever splits most of the first lines (outside quotes) consistently.
 */
export function sniffDelimiter(text: string): string {
  const lines = text
    .replace(/"[^"]*"/g, '""')
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .slice(0, 200);
  let best = ',';
  let bestScore = 0;
  for (const d of [',', '\t', ';', '|']) {
    const counts = lines.map((l) => l.split(d).length - 1);
    const withIt = counts.filter((c) => c > 0).length;
    const max = Math.max(0, ...counts);
    const score = withIt * 1000 + max;
    if (withIt > 0 && score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------- CSV

async function* csvRows(file: string, encoding: TextEncoding, delimiter: string): AsyncGenerator<RawRow> {
  const parser = parseCsv({
    delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    info: true,
    bom: true,
    // One record (row) of at most this many characters: a cell without a closing quote would
    // otherwise swallow the rest of the file into memory.
    max_record_size: MAX_CSV_RECORD_CHARS,
  });
  const source = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  const decoder = decoderStream(encoding);
  // Errors of the source or the decoder surface through the parser's iteration.
  const fail = (e: Error) => parser.destroy(e);
  source.on('error', fail);
  decoder.on('error', fail);
  source.pipe(decoder).pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item;
      // info.lines is the line on which the record ends; a quoted cell with line breaks spans more.
      let breaks = 0;
      for (const cell of record) for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) breaks++;
      yield { line: info.lines - breaks, cells: record };
    }
  } catch (e) {
    const err = e as Error & { code?: string; lines?: number };
    if (err.name === 'EncodingError') throw new InputFormatError(err.message);
    if (err.code && err.code.startsWith('CSV_')) {
      throw new InputFormatError(`CSV 格式错误${err.lines ? `（第 ${err.lines} 行附近）` : ''}：${csvErrorZh(err.code)}`);
    }
    throw e;
  } finally {
    source.destroy();
  }
}

function csvErrorZh(code: string): string {
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return '引号未闭合（某个单元格以 " 开头但没有结束的 "）';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return '引号后出现了多余的字符';
    case 'CSV_MAX_RECORD_SIZE':
      return `一行超过 ${MAX_CSV_RECORD_CHARS.toLocaleString('en')} 个字符（多半是某个引号未闭合）`;
    default:
      return code;
  }
}

// --------------------------------------------------------------------------------------- XLSX

/** The text of an exceljs cell value (rich text, hyperlinks, formulas, dates). */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return '';
    // Excel dates have no zone: exceljs gives them as UTC midnight.
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 16).replace('T', ' ');
  }
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText)) return (v.richText as { text: string }[]).map((r) => r.text).join('');
    if ('text' in v && v.text !== undefined) return cellText(v.text);
    if ('result' in v) return cellText(v.result);
    if ('error' in v) return '';
    if ('sharedFormula' in v || 'formula' in v) return '';
    return '';
  }
  return String(value);
}

/**
 * Why a formula cell has no text to import, or null: Excel and WPS save each formula's last
 * result next to it, and that result is what we read. A file written by a program may have none,
 * or the result may be an error value (#DIV/0!, #N/A, #REF!).
 */
export function formulaIssue(value: unknown): string | null {
  if (!value || typeof value !== 'object' || value instanceof Date) return null;
  const v = value as Record<string, unknown>;
  if (!('formula' in v) && !('sharedFormula' in v)) return null;
  const shown = typeof v.formula === 'string' ? `（=${v.formula.slice(0, 40)}${v.formula.length > 40 ? '…' : ''}）` : '';
  const result = v.result;
  if (result === undefined || result === null) {
    return `是公式${shown}，文件中没有保存计算结果：请用 Excel/WPS 打开并保存后再导入，或把公式转为数值`;
  }
  if (typeof result === 'object' && !(result instanceof Date) && 'error' in (result as Record<string, unknown>)) {
    return `是公式${shown}，计算结果为错误值 ${String((result as { error: unknown }).error)}`;
  }
  return null;
}

function rowOf(sheet: string, line: number, values: unknown[]): RawRow {
  const cells: string[] = [];
  let issues: Map<number, string> | undefined;
  values.forEach((value, i) => {
    cells.push(cellText(value));
    const why = formulaIssue(value);
    if (why) (issues ??= new Map()).set(i, why);
  });
  return issues ? { sheet, line, cells, formulaIssues: issues } : { sheet, line, cells };
}

/** exceljs takes ~0.4 s to load: only when a file is a workbook. */
async function loadExcelJs(): Promise<typeof ExcelJSModule> {
  const mod = await import('exceljs');
  return ((mod as unknown as { default?: typeof ExcelJSModule }).default ?? mod);
}

/**
 * exceljs's streaming reader alone (its module, not the package's index): ~8 MB less resident in
 * the parse worker than the whole package, whose writers, CSV and browser parts a read never uses.
 */
async function loadWorkbookReader(): Promise<typeof ExcelJSModule.stream.xlsx.WorkbookReader> {
  // @ts-expect-error exceljs ships no types for its modules, only for the package's index.
  const mod: unknown = await import('exceljs/lib/stream/xlsx/workbook-reader.js');
  return ((mod as { default?: unknown }).default ?? mod) as typeof ExcelJSModule.stream.xlsx.WorkbookReader;
}

async function xlsxRowsFull(file: string, sheetName?: string): Promise<AsyncIterable<RawRow>> {
  const ExcelJS = await loadExcelJs();
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.readFile(file);
  } catch (e) {
    throw new InputFormatError(`无法读取 Excel 文件（文件损坏或不是 .xlsx）：${(e as Error).message}`);
  }
  const sheets = wb.worksheets.filter((ws) => ws.state !== 'hidden' && ws.state !== 'veryHidden');
  const selected = selectSheets(sheets.map((ws) => ws.name), sheetName);
  return (async function* () {
    for (const ws of sheets) {
      if (!selected.has(ws.name)) continue;
      const width = ws.columnCount;
      for (let r = 1; r <= ws.rowCount; r++) {
        const row = ws.getRow(r);
        const values: unknown[] = [];
        // Merged cells: every cell of a merge reads the master's value (exceljs proxies it).
        for (let c = 1; c <= width; c++) values.push(row.getCell(c).value);
        yield rowOf(ws.name, r, values);
      }
    }
  })();
}

function selectSheets(names: string[], wanted?: string): Set<string> {
  if (!wanted) return new Set(names);
  const hit = names.find((n) => n === wanted) ?? names.find((n) => n.trim() === wanted.trim());
  if (!hit) throw new InputFormatError(`找不到工作表“${wanted}”；文件中的工作表：${names.map((n) => `“${n}”`).join('、') || '（无）'}`);
  return new Set([hit]);
}

/** A merged range, 1-based and inclusive. */
interface MergeRange {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

function columnNumber(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

function parseRange(ref: string): MergeRange | null {
  const m = /^([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$/.exec(ref);
  if (!m) return null;
  const [a, b] = [
    { c: columnNumber(m[1]), r: Number(m[2]) },
    { c: columnNumber(m[3] ?? m[1]), r: Number(m[4] ?? m[2]) },
  ];
  const range = { top: Math.min(a.r, b.r), left: Math.min(a.c, b.c), bottom: Math.max(a.r, b.r), right: Math.max(a.c, b.c) };
  return range.top >= 1 && range.left >= 1 && (range.bottom > range.top || range.right > range.left) ? range : null;
}

/**
 * Fills merged cells as rows stream by: every cell of a range reads its top-left (master) cell's
 * value, as exceljs's whole-workbook reader gives them. Rows come in order and a master is in a
 * range's first row, so only the ranges open at the current row are kept, with their values.
 */
class MergeFiller {
  private readonly byTop = new Map<number, MergeRange[]>();
  private open: { range: MergeRange; value: unknown }[] = [];
  /** The last row any range covers: rows missing from the sheet up to here are still yielded. */
  readonly lastRow: number;

  constructor(refs: readonly string[]) {
    let last = 0;
    for (const ref of refs) {
      const r = parseRange(ref);
      if (!r) continue;
      const list = this.byTop.get(r.top) ?? [];
      list.push(r);
      this.byTop.set(r.top, list);
      last = Math.max(last, r.bottom);
    }
    this.lastRow = last;
  }

  /** `values` is 1-based (index 0 unused), as exceljs gives a row's values; filled in place. */
  fill(rowNumber: number, values: unknown[]): unknown[] {
    if (this.byTop.size === 0 && this.open.length === 0) return values;
    this.open = this.open.filter((o) => o.range.bottom >= rowNumber);
    for (const range of this.byTop.get(rowNumber) ?? []) this.open.push({ range, value: values[range.left] });
    this.byTop.delete(rowNumber);
    for (const { range, value } of this.open) {
      if (range.top > rowNumber) continue;
      for (let c = range.left; c <= range.right; c++) {
        if (c === range.left && rowNumber === range.top) continue;
        values[c] = value;
      }
    }
    return values;
  }
}

/**
 * The rows of an XLSX through exceljs's streaming reader: the workbook's parts are read as they
 * come, so memory holds a row at a time (plus the shared strings and styles), not the whole
 * workbook's cell model. The rows are what the whole-workbook reader gives: hidden sheets left
 * out, every row from the first (empty ones included, as empty rows), merged cells filled.
 */
function xlsxRowsStreaming(file: string, zip: ZipSummary, sheetName?: string): AsyncIterable<RawRow> {
  return (async function* () {
    const WorkbookReader = await loadWorkbookReader();
    const reader = new WorkbookReader(file, {
      sharedStrings: 'cache',
      styles: 'cache',
      hyperlinks: 'ignore',
      worksheets: 'emit',
      entries: 'emit',
    });
    // The part being streamed: exceljs tells it (its number) just before it yields the sheet.
    let part = 0;
    (reader as unknown as NodeJS.EventEmitter).on('entry', (e: { type?: string; id?: string | number }) => {
      if (e?.type === 'worksheet') part = Number(e.id);
    });
    const seen: string[] = [];
    let found = false;
    try {
      for await (const ws of reader) {
        const sheet = ws as unknown as { name?: string; id: number; state?: string };
        const name = (sheet.name ?? `Sheet${sheet.id}`).toString();
        const hidden = sheet.state === 'hidden' || sheet.state === 'veryHidden';
        if (!hidden) seen.push(name);
        if (hidden || (sheetName && name.trim() !== sheetName.trim())) {
          // Drain the sheet so the reader moves on.
          for await (const _row of ws) void _row;
          continue;
        }
        found = true;
        const merges = new MergeFiller(zip.mergeCells.get(part) ?? []);
        let next = 1;
        const gap = function* (upTo: number) {
          for (; next < upTo; next++) yield rowOf(name, next, cellsOf(merges.fill(next, [])));
        };
        for await (const row of ws) {
          yield* gap(row.number);
          const values = Array.isArray(row.values) ? [...(row.values as unknown[])] : [];
          yield rowOf(name, row.number, cellsOf(merges.fill(row.number, values)));
          next = row.number + 1;
        }
        yield* gap(merges.lastRow + 1);
      }
    } catch (e) {
      if (e instanceof InputFormatError) throw e;
      throw new InputFormatError(`${UNREADABLE}${(e as Error).message}`);
    }
    if (sheetName && !found) {
      throw new InputFormatError(`找不到工作表“${sheetName}”；文件中的工作表：${seen.map((n) => `“${n}”`).join('、') || '（无）'}`);
    }
  })();
}

/**
 * The streamed rows, or, when the streaming reader fails before its first row, the whole-workbook
 * reader's: exceljs's streaming reader needs every cell to name its reference (`r`), which the
 * format leaves optional and a few writers omit.
 */
async function* xlsxRowsStreamingOrFull(file: string, zip: ZipSummary, sheetName?: string): AsyncGenerator<RawRow> {
  let yielded = false;
  try {
    for await (const row of xlsxRowsStreaming(file, zip, sheetName)) {
      yielded = true;
      yield row;
    }
  } catch (e) {
    if (yielded || !(e instanceof InputFormatError) || !e.message.startsWith(UNREADABLE)) throw e;
    yield* await xlsxRowsFull(file, sheetName);
  }
}

/** A 1-based row of values as a 0-based list of cells (holes read as empty). */
function cellsOf(values: unknown[]): unknown[] {
  return Array.from({ length: Math.max(0, values.length - 1) }, (_, i) => values[i + 1]);
}

// --------------------------------------------------------------------------------------- JSON

/** The schema of a JSON table, built on first use: zod (~12 MB once loaded) only when a file is JSON. */
let jsonSchema: Promise<ZodSchemaOf<JsonRecord[]>> | undefined;
type JsonRecord = Record<string, string | number | boolean | null>;
type ZodSchemaOf<T> = import('zod').ZodType<T>;
function jsonTableSchema(): Promise<ZodSchemaOf<JsonRecord[]>> {
  jsonSchema ??= import('zod').then(({ z }) =>
    z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), {
      message: 'JSON 须为对象数组，例如 [{"账号名称": "…", "存在问题": "…"}]',
    }),
  );
  return jsonSchema;
}

async function* jsonRows(file: string, encoding: TextEncoding): AsyncGenerator<RawRow> {
  const text = decodeBuffer(await fs.promises.readFile(file), encoding);
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new InputFormatError(`JSON 格式错误：${(e as Error).message}`);
  }
  const parsed = (await jsonTableSchema()).safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = typeof issue.path[0] === 'number' ? `第 ${issue.path[0] + 1} 项` : '';
    const what = issue.path.length > 1 ? `字段“${String(issue.path[1])}”须为文本、数字或 null` : issue.message;
    throw new InputFormatError(`JSON 内容不符合要求：${where}${what}`);
  }
  const headers: string[] = [];
  const index = new Map<string, number>();
  for (const item of parsed.data) {
    for (const key of Object.keys(item)) {
      if (!index.has(key)) {
        index.set(key, headers.length);
        headers.push(key);
      }
    }
  }
  yield { line: 0, cells: headers };
  let n = 0;
  for (const item of parsed.data) {
    n++;
    const cells = headers.map(() => '');
    for (const [k, v] of Object.entries(item)) cells[index.get(k)!] = v === null ? '' : String(v);
    yield { line: n, cells };
  }
}
