/**
 * From a notice table file to the work orders it asks for, without touching the database:
 * finds each sheet's header (below any title rows, one or two header rows), reads the data
 * rows, validates them (every bad row is reported with its line and why), splits and
 * classifies problems, and groups rows into one item per target.
 */
import path from 'node:path';
import { parseIsoDate } from '../calendar/dates';
import type { TargetKind } from '../problems/taxonomy';
import type { FileFormat, TextEncoding } from './encoding';
import {
  EXACT_HEADERS,
  KNOWN_HEADERS,
  decideByContent,
  isUsable,
  layoutOf,
  missingColumnsMessage,
  normalizeHeader,
  scoreLayout,
  type ColumnRole,
  type HeaderLayout,
} from './headers';
import { cleanText, normalizeAddress, normalizeName, platformFamilies, targetIdentity, type TargetFields } from './identity';
import type { InputLimits } from './limits';
import { classifyProblem, splitProblems, type ProblemPart } from './problems';
import { openTable, sha256File, type RawRow } from './readers';
import type { DocumentFormat } from './documents/model';

export interface Rejection {
  line: number;
  sheet?: string;
  reason: string;
}

export interface SourceRef {
  line: number;
  sheet?: string;
}

export interface ParsedUnit {
  name: string;
  normalizedName: string;
  jurisdiction: string | null;
}

export interface ParsedItem extends TargetFields {
  unit: ParsedUnit;
  problems: ProblemPart[];
  extra: Record<string, string>;
  dueOn: string | null;
  sources: SourceRef[];
}

export interface SheetInfo {
  name: string | null;
  /** Rows not imported because the table says they are already rectified (整改结果: 已整改). */
  rectified?: number;
  headerLine: number | null;
  headers: string[];
  kind: TargetKind | null;
  rows: number;
  /** Why the sheet was skipped (no usable header), when it was. */
  skipped?: string;
}

export interface ParsedNotice {
  fileName: string;
  /** Rows already rectified (整改结果 says so): not made into work orders. */
  rectified: { line: number; sheet?: string; name: string; result: string }[];
  sha256: string;
  format: FileFormat | DocumentFormat;
  encoding: TextEncoding | null;
  sheets: SheetInfo[];
  rows: number;
  items: ParsedItem[];
  rejected: Rejection[];
  kinds: TargetKind[];
}

export interface ParseOptions {
  sheet?: string;
  map?: Map<string, ColumnRole>;
  kind?: TargetKind;
  /** Year for dates written without one ("11月25日"). */
  defaultYear: number;
  xlsxStreaming?: boolean;
  /** At most this many rejections are listed (the rest are counted in one last entry). */
  maxRejections?: number;
  /** Size and row limits, checked before the file is parsed (see ./limits.ts). */
  limits?: InputLimits;
}

/** How many rows at the top of a sheet are searched for its header. */
const HEADER_SCAN_ROWS = 200;

/**
 * The longest problem cell (characters). Longer text is no notice's problem list, and splitting
 * it costs more than linear time (a 1 MB cell took minutes).
 */
export const MAX_PROBLEM_CHARS = 10_000;
/** The longest platform cell ("微信公众号、微博、抖音…"). */
export const MAX_PLATFORM_CHARS = 200;

const FOOTNOTE = /^(注|备注|说明|合计|总计|小计|填表|制表|审核人|审核|附件|联系人|联系电话|来源)\s*[:：\d、.]?/u;

export async function parseNoticeFile(file: string, options: ParseOptions): Promise<ParsedNotice> {
  const source = await openTable(file, { alsoAccepted: '通报原文（PDF、Word、网页或文本）', sheet: options.sheet, xlsxStreaming: options.xlsxStreaming, limits: options.limits });
  const parser = new TableParser(options);
  let sheetKey: string | undefined | null = null;
  for await (const row of source.rows) {
    if (row.sheet !== sheetKey) {
      parser.endSheet();
      parser.startSheet(row.sheet ?? null);
      sheetKey = row.sheet;
    }
    parser.row(row);
  }
  parser.endSheet();
  const sha256 = await sha256File(file);
  return parser.finish(path.basename(file), sha256, source.format, source.encoding);
}

/** One table of a document, fed to the same parser as a sheet of a workbook. */
export interface TableInput {
  name: string;
  rows: RawRow[];
  context?: SheetContext;
}

/** Parses the tables a document reader found (each one like a sheet of a workbook). */
export function parseTables(tables: TableInput[], meta: { fileName: string; sha256: string; format: DocumentFormat }, options: ParseOptions): ParsedNotice {
  const parser = new TableParser(options);
  for (const t of tables) {
    parser.startSheet(t.name, t.context);
    for (const row of t.rows) parser.row(row);
    parser.endSheet();
  }
  return parser.finish(meta.fileName, meta.sha256, meta.format, null);
}

class TableParser {
  private readonly sheets: SheetInfo[] = [];
  private readonly items = new Map<string, ParsedItem>();
  private readonly rejected: Rejection[] = [];
  private rejectedCount = 0;
  private rows = 0;
  private readonly kinds = new Set<TargetKind>();
  private readonly mapUsed = new Set<string>();
  private readonly problemCache = new Map<string, ProblemPart[]>();

  // Per sheet
  private sheet: SheetInfo | null = null;
  private buffer: RawRow[] = [];
  private layout: HeaderLayout | null = null;
  private lastJurisdiction = '';
  /** Set by a section row holding only a platform ("微信公众号"): the platform of the rows below. */
  private sectionPlatform = '';
  /** A second header was met: its rows are buffered so its columns are decided by content. */
  private switching = false;
  private context: SheetContext = {};
  private readonly rectified: ParsedNotice['rectified'] = [];
  private kind: TargetKind = 'website';

  constructor(private readonly options: ParseOptions) {}

  startSheet(name: string | null, context: SheetContext = {}): void {
    this.sheet = { name, headerLine: null, headers: [], kind: null, rows: 0 };
    this.buffer = [];
    this.layout = null;
    this.lastJurisdiction = '';
    this.sectionPlatform = '';
    this.switching = false;
    this.context = context;
  }

  row(row: RawRow): void {
    if (this.layout) {
      this.dataRow(row);
      return;
    }
    this.buffer.push(row);
    if (this.buffer.length >= HEADER_SCAN_ROWS) this.detectHeader();
  }

  endSheet(): void {
    if (!this.sheet) return;
    // A sub-table's header met while reading leaves its rows buffered: read them too.
    while (!this.layout) this.detectHeader();
    this.sheets.push(this.sheet);
    this.sheet = null;
  }

  /** A layout is usable with a problem column, or without one when the table's title says the problem. */
  private usable(layout: HeaderLayout): boolean {
    if (isUsable(layout)) return true;
    return Boolean(this.context.titleProblem) && layout.problemColumns.length === 0 &&
      (layout.fields.name !== undefined || layout.fields.unit !== undefined || layout.fields.column !== undefined);
  }

  /** Chooses the header among the buffered rows: the best usable single row or pair of rows. */
  private detectHeader(): void {
    const rows = this.buffer;
    this.buffer = [];
    const switching = this.switching;
    this.switching = false;
    let best: { layout: HeaderLayout; at: number; score: number } | null = null;
    let firstStrong: { layout: HeaderLayout; at: number; score: number } | null = null;
    let bestUnusable: { layout: HeaderLayout; at: number; score: number } | null = null;
    for (let i = 0; i < rows.length; i++) {
      const filled = rows[i].cells.map((c) => c.trim()).filter(Boolean);
      // One text, or a title merged across the table (every cell reads the master's text).
      if (filled.length < 2 || filled.every((c) => c === filled[0])) continue;
      const candidates = [layoutOf([rows[i].cells], this.options.map)];
      if (i + 1 < rows.length && this.isSubHeader(rows[i + 1].cells)) {
        candidates.push(layoutOf([rows[i].cells, rows[i + 1].cells], this.options.map));
      }
      const strongRow = this.isHeaderRow(rows[i].cells);
      for (const layout of candidates) {
        const score = scoreLayout(layout);
        if (this.usable(layout)) {
          if (!best || score > best.score) best = { layout, at: i, score };
          // The first table of the sheet whose header uses known spellings wins, so that a
          // sheet holding two tables imports both (the second one's header switches layout).
          if (strongRow && (!firstStrong || (firstStrong.at === i && score > firstStrong.score))) firstStrong = { layout, at: i, score };
        } else if (layout.rowCount === 1 && !bestUnusable) {
          // Reported when no header is usable: the first row that looks like a header row.
          bestUnusable = { layout, at: i, score };
        }
      }
    }
    if (firstStrong) best = firstStrong;
    const sheet = this.sheet!;
    if (!best && rows.every((r) => r.cells.every((c) => !c.trim()))) {
      // Nothing but blank lines (or an empty JSON array): say that, not which columns are missing.
      sheet.skipped = `${sheet.name ? `工作表“${sheet.name}”` : '文件'}中没有任何内容（只有空行）`;
      this.layout = NO_LAYOUT;
      return;
    }
    if (!best) {
      const shown = bestUnusable ?? (rows.length ? { layout: layoutOf([rows[0].cells]), at: 0, score: 0 } : null);
      sheet.headers = shown ? shown.layout.headers.filter((h) => h) : [];
      sheet.headerLine = shown ? rows[shown.at].line : null;
      sheet.skipped = missingColumnsMessage(sheet.headers, shown?.layout ?? null, sheet.name ? `工作表“${sheet.name}”` : '');
      // The sheet has no usable header: its remaining rows are ignored.
      this.layout = NO_LAYOUT;
      return;
    }
    this.layout = decideByContent(best.layout, rows.slice(best.at + best.layout.rowCount).map((r) => r.cells), this.options.map);
    if (switching) {
      sheet.headers = [...sheet.headers, ...best.layout.headers.filter((h) => !sheet.headers.includes(h))];
    } else {
      sheet.headerLine = rows[best.at].line;
      sheet.headers = best.layout.headers;
    }
    this.kind = this.options.kind ?? best.layout.kind;
    if (!(sheet.kind && switching)) sheet.kind = this.kind;
    this.noteMapUse(best.layout);
    // Through row(): a sub-table's header among these rows buffers the rows after it.
    for (const r of rows.slice(best.at + best.layout.rowCount)) this.row(r);
  }

  private noteMapUse(layout: HeaderLayout): void {
    for (const col of layout.columns) {
      for (const h of [col.header, ...col.header.split('/')]) {
        const n = normalizeHeader(h);
        if (this.options.map?.has(n)) this.mapUsed.add(n);
      }
    }
  }

  private dataRow(row: RawRow): void {
    const layout = this.layout!;
    if (layout === NO_LAYOUT) return;
    const cells = row.cells.map((c) => (c ?? '').trim());
    const filled = cells.filter(Boolean);
    if (filled.length === 0 && !row.formulaIssues?.size) return;
    // A repeated header (page breaks in a converted PDF) is skipped; the header of a second
    // table with other columns replaces the current one.
    if (this.isHeaderRow(cells)) {
      const next = layoutOf([row.cells], this.options.map);
      if (this.usable(next) && next.headers.join('|') !== layout.headers.join('|')) {
        // A sub-table with its own header: its rows are read once its columns are decided.
        this.layout = null;
        this.switching = true;
        this.lastJurisdiction = '';
        this.sectionPlatform = '';
        this.buffer = [row];
      }
      return;
    }
    const f = layout.fields;
    const get = (i: number | undefined) => (i === undefined ? '' : cells[i] ?? '');
    const titleProblem = layout.problemColumns.length === 0 ? this.context.titleProblem ?? '' : '';
    const problemText = titleProblem || layout.problemColumns.map((i) => cells[i] ?? '').filter(Boolean).join('：');
    // A title merged across the table reads the same text in every cell.
    if (filled.length > 2 && filled.length === cells.length && filled.every((c) => c === filled[0])) return;
    if (filled.length === 1) {
      const only = filled[0];
      const at = cells.indexOf(only);
      // Footnotes, totals and section titles ("一、市直单位") are not data rows; a row holding
      // only a platform ("微信公众号", "抖音号") names the platform of the rows below it.
      if (FOOTNOTE.test(only)) return;
      if (isPlatformSection(only)) {
        this.sectionPlatform = cleanText(only);
        return;
      }
      if (at !== f.name && at !== f.unit && at !== f.column && !layout.problemColumns.includes(at)) return;
    }
    this.rows++;
    this.sheet!.rows++;
    const reject = (reason: string) => this.reject({ line: row.line, sheet: row.sheet, reason });

    const jurisdictionCell = cleanText(get(f.jurisdiction));
    if (jurisdictionCell) this.lastJurisdiction = jurisdictionCell;
    // A blank jurisdiction cell continues the group above it (merged cells exported to CSV).
    const jurisdiction = f.jurisdiction === undefined ? null : jurisdictionCell || this.lastJurisdiction || null;

    const unitName = cleanText(get(f.unit));
    const rawName = cleanText(get(f.name));
    const columnName = cleanText(get(f.column));
    const header = (i: number | undefined) => (i === undefined ? '' : `（列“${layout.headers[i]}”为空）`);
    const errors: string[] = [];

    let kind: TargetKind = this.kind;
    let name: string;
    let site: string | null = null;
    if (kind === 'column' || (f.column !== undefined && !this.options.kind)) {
      kind = 'column';
      site = rawName || unitName;
      name = columnName;
      if (!columnName) errors.push(`缺少栏目名称${header(f.column)}`);
      if (!site) errors.push('缺少栏目所属网站的名称');
    } else {
      name = f.name !== undefined ? rawName : unitName;
      if (!name) errors.push(`缺少名称${header(f.name ?? f.unit)}`);
    }
    if (f.unit !== undefined && !unitName && f.name !== undefined) errors.push(`缺少单位${header(f.unit)}`);
    if (!problemText) errors.push(`缺少问题${header(layout.problemColumns[0])}`);
    else if (/^[\d.,%％\s-]+$/.test(problemText)) {
      errors.push(`问题列只有数字“${problemText}”，这一行像是汇总表的内容，不是被通报的对象`);
    }
    if (problemText.length > MAX_PROBLEM_CHARS) errors.push(`问题描述过长（超过 ${MAX_PROBLEM_CHARS} 字）`);
    if (get(f.platform).length > MAX_PLATFORM_CHARS) errors.push(`平台/账号类型过长（超过 ${MAX_PLATFORM_CHARS} 字）`);
    if (name.length > 300) errors.push('名称过长（超过 300 字）');
    const unitDisplay = unitName || (kind === 'column' ? site ?? '' : name);
    if (unitDisplay.length > 200) errors.push('单位名称过长（超过 200 字）');

    let dueOn: string | null = null;
    const dueCell = get(f.due);
    if (dueCell) {
      dueOn = parseLooseDate(dueCell, this.options.defaultYear);
      if (!dueOn) errors.push(`整改期限“${dueCell}”不是可识别的日期（例如 2022-11-25、2022年11月25日）`);
    }
    const address = cleanText(get(f.address)) || null;
    if (address && address.length > 500) errors.push('地址过长（超过 500 字）');
    // A formula without a usable result in a column we read: say so first (it reads as empty).
    const read = new Set(
      [f.name, f.unit, f.column, f.platform, f.address, f.jurisdiction, f.due, ...layout.problemColumns].filter((i): i is number => i !== undefined),
    );
    const formulas = [...(row.formulaIssues ?? [])].filter(([i]) => read.has(i));
    errors.unshift(...formulas.map(([i, why]) => `列“${layout.headers[i] || `第 ${i + 1} 列`}”${why}`));
    if (errors.length) {
      reject(errors.join('；'));
      return;
    }

    // A new-media sheet without a platform column may be named after its platform ("微信公众号").
    const sheetHint = kind === 'newmedia' && f.platform === undefined && row.sheet && platformFamilies(row.sheet)[0].family.match(/^(?!other:|unknown)/) ? row.sheet : '';
    const platformCell = cleanText(get(f.platform)) || this.sectionPlatform || sheetHint;
    if (kind === 'website' && f.platform === undefined && this.sectionPlatform) kind = 'newmedia';
    const families = kind === 'newmedia' ? platformFamilies(platformCell) : [{ family: 'website', label: platformCell }];
    const problems = titleProblem ? [{ text: titleProblem, category: classifyProblem(titleProblem) }] : this.problemsOf(problemText);
    const extra: Record<string, string> = {};
    for (const col of layout.columns) {
      if (col.role !== 'extra') continue;
      const v = cells[col.index];
      if (v) extra[col.header || `第${col.index + 1}列`] = v;
    }
    // A result column saying the row is already rectified: no work order for it.
    const done = layout.columns.find((c) => c.role === 'extra' && RESULT_HEADER.test(normalizeHeader(c.header)) && RECTIFIED.test(cleanText(cells[c.index] ?? '')));
    if (done) {
      this.rectified.push({ line: row.line, sheet: row.sheet, name, result: cleanText(cells[done.index]) });
      this.sheet!.rectified = (this.sheet!.rectified ?? 0) + 1;
      return;
    }
    const unit: ParsedUnit = { name: unitDisplay, normalizedName: normalizeName(unitDisplay), jurisdiction };

    for (const fam of families) {
      // A platform cell that says "网站" in a new-media table is a website.
      const rowKind: TargetKind = kind === 'newmedia' && fam.family === 'website' ? 'website' : kind;
      const identity = this.findIdentity(rowKind, name, rowKind === 'newmedia' ? fam.family : null, site, address);
      this.kinds.add(rowKind);
      const existing = this.items.get(identity);
      if (existing) {
        // Two rows for one target in one notice: one work order with all their problems.
        for (const p of problems) if (!existing.problems.some((q) => q.text === p.text)) existing.problems.push(p);
        for (const [k, v] of Object.entries(extra)) {
          existing.extra[k] = existing.extra[k] && existing.extra[k] !== v ? `${existing.extra[k]}；${v}` : v;
        }
        if (dueOn && (!existing.dueOn || dueOn < existing.dueOn)) existing.dueOn = dueOn;
        existing.address = existing.address ?? address;
        existing.sources.push({ line: row.line, sheet: row.sheet });
        continue;
      }
      this.items.set(identity, {
        identity,
        kind: rowKind,
        name: kind === 'column' ? `${site}/${name}` : name,
        normalizedName: normalizeName(name),
        platform: rowKind === 'newmedia' ? fam.label || null : platformCell || null,
        family: rowKind === 'newmedia' ? fam.family : 'website',
        address,
        unit,
        problems: problems.map((p) => ({ ...p })),
        extra: { ...extra },
        dueOn,
        sources: [{ line: row.line, sheet: row.sheet }],
      });
    }
  }

  /** Websites given by address match an item of this notice with the same host. */
  private findIdentity(kind: TargetKind, name: string, family: string | null, site: string | null, address: string | null): string {
    const identity = targetIdentity({ kind, name, family, site }).slice(0, 400);
    if (kind !== 'website' || !address || this.items.has(identity)) return identity;
    const host = normalizeAddress(address);
    for (const item of this.items.values()) {
      if (item.kind === 'website' && item.address && normalizeAddress(item.address) === host) return item.identity;
    }
    return identity;
  }

  private isHeaderRow(cells: string[]): boolean {
    let exact = 0;
    for (const c of cells) {
      if (!c || c.length > 30) continue;
      const h = normalizeHeader(c);
      if (EXACT_HEADERS.has(h) || this.options.map?.has(h)) exact++;
    }
    return exact >= 2;
  }

  /** Whether a row can be the second row of a two-row header: it names at least one known column. */
  private isSubHeader(cells: string[]): boolean {
    return cells.some((c) => c && c.length <= 30 && (KNOWN_HEADERS.has(normalizeHeader(c)) || this.options.map?.has(normalizeHeader(c))));
  }

  /** Problem cells repeat a lot ("未及时注销"): split each distinct text once. */
  private problemsOf(text: string): ProblemPart[] {
    let parts = this.problemCache.get(text);
    if (!parts) {
      parts = splitProblems(text);
      if (this.problemCache.size < 10_000) this.problemCache.set(text, parts);
    }
    return parts;
  }

  private reject(r: Rejection): void {
    this.rejectedCount++;
    const max = this.options.maxRejections ?? 1000;
    if (this.rejected.length < max) this.rejected.push(r);
  }

  finish(fileName: string, sha256: string, format: FileFormat | DocumentFormat, encoding: TextEncoding | null): ParsedNotice {
    const rejected = [...this.rejected];
    const usable = this.sheets.filter((s) => !s.skipped);
    if (usable.length === 0) {
      const s = this.sheets.find((x) => x.headers.length) ?? this.sheets[0];
      rejected.unshift({
        line: s?.headerLine ?? 1,
        sheet: s?.name ?? undefined,
        reason: s?.skipped ?? '文件中没有数据',
      });
    } else if (this.rows === 0) {
      rejected.push({ line: usable[0].headerLine ?? 1, sheet: usable[0].name ?? undefined, reason: '表头下没有数据行' });
    }
    if (this.options.map) {
      for (const h of this.options.map.keys()) {
        if (!this.mapUsed.has(h)) {
          const all = [...new Set(this.sheets.flatMap((s) => s.headers).filter(Boolean))];
          rejected.push({ line: usable[0]?.headerLine ?? 1, reason: `--map 中的表头“${h}”在文件中找不到；文件的表头：${all.map((x) => `“${x}”`).join('、')}` });
        }
      }
    }
    if (this.rejectedCount > this.rejected.length) {
      rejected.push({ line: 0, reason: `另有 ${this.rejectedCount - this.rejected.length} 行有错误未列出` });
    }
    return {
      fileName,
      rectified: this.rectified,
      sha256,
      format,
      encoding,
      sheets: this.sheets,
      rows: this.rows,
      items: [...this.items.values()],
      rejected,
      kinds: [...this.kinds],
    };
  }
}

/** What a table's surroundings tell about its rows. */
export interface SheetContext {
  /** The problem of every row, for a table without a problem column ("待注销政务新媒体账号名单"). */
  titleProblem?: string | null;
}

const RESULT_HEADER = /(整改(结果|情况|进展|完成情况)|是否整改|处理结果|办理结果)/;
const RECTIFIED = /^(已整改|已完成整改|已整改完成|整改完成|已完成|已注销|已关停|已处理|已修改|已更正|已删除|已下线)/u;

/** A short cell naming a platform only ("微信公众号", "抖音号", "新浪微博"). */
export function isPlatformSection(text: string): boolean {
  const t = cleanText(text);
  if (!t || t.length > 12 || /\d/.test(t)) return false;
  const fams = platformFamilies(t);
  return fams.every((p) => !p.family.startsWith('other:') && p.family !== 'unknown' && p.family !== 'website');
}

const NO_LAYOUT: HeaderLayout = { headers: [], columns: [], fields: {}, problemColumns: [], rowCount: 0, kind: 'website' };

/**
 * Dates as written in notice tables: 2022-11-25, 2022/11/25, 2022.11.25, 2022年11月25日,
 * 11月25日 (year of the notice), Excel date cells (already ISO), with a time part ignored.
 */
export function parseLooseDate(cell: string, defaultYear: number): string | null {
  const s = cell.normalize('NFKC').trim();
  let m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$/.exec(s);
  let y: number, mo: number, d: number;
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else if ((m = /^(\d{1,2})月(\d{1,2})日?(?:前|之前)?$/.exec(s))) [y, mo, d] = [defaultYear, Number(m[1]), Number(m[2])];
  else if ((m = /^(\d{4})(\d{2})(\d{2})$/.exec(s))) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else return null;
  try {
    return parseIsoDate(`${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
  } catch {
    return null;
  }
}
