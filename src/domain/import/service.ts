/**
 * Importing one notice: its table file in, work orders, problems, targets, units and
 * repeat-offender escalations out, all in one transaction.
 *
 * Repeat offenders are counted by distinct active notices issued in the calendar year of this
 * notice's issue date (this one included; a replaced notice does not count next to its
 * replacement). A target at or above the threshold gets a repeat_target escalation (new media:
 * 责令关停 proposed; website or column: 约谈); a unit with work orders in that many notices gets
 * a repeat_unit escalation (约谈分管领导). Escalations are keyed by target/unit and year, so
 * re-running or replacing a notice never duplicates them.
 */
import path from 'node:path';
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import type { NewEvent } from '../events/events';
import type { TargetKind } from '../problems/taxonomy';
import { businessDate, parseIsoDate } from '../calendar/dates';
import type { ColumnRole } from './headers';
import { normalizeAddress } from './identity';
import { parseIsolated, type IsolationLimits } from '../../parsing/isolated';
import type { InputLimits } from './limits';
import { parseNoticeFile, type ParsedNotice, type ParseOptions, type Rejection } from './parse';
import { noticeDocumentFormat, parseNoticeDocument, readNoticeDocument, type NoticeDocument, type NoticeSummary } from './notice';
import type { ImportStore, ImportTx } from './store';
import { repeatOffenders } from './repeat-offenders';

export interface ImportOptions {
  docNo?: string;
  title?: string;
  issuedOn?: string;
  reportDueOn?: string;
  kind?: TargetKind;
  source?: string;
  sheet?: string;
  map?: Map<string, ColumnRole>;
  dryRun?: boolean;
  replace?: boolean;
  actor?: string;
  /** Force the streaming XLSX reader. */
  xlsxStreaming?: boolean;
  /** Issuing office (found in a notice document when not given). */
  issuer?: string;
}

export interface ImportResult {
  notice_id: number | null;
  doc_no: string;
  dry_run: boolean;
  replaced_notice_id: number | null;
  rows: number;
  work_orders: number;
  problems: number;
  targets_new: number;
  units_new: number;
  repeat_targets: number;
  escalations: number;
  rejected: Rejection[];
  /** First and last work-order codes created. */
  codes: { first: string; last: string } | null;
  kind: string | null;
  format: string;
  encoding: string | null;
  sheets_skipped: { sheet: string | null; reason: string }[];
  /** Rows the notice lists as already rectified (整改结果): no work order was made for them. */
  rectified: ParsedNotice['rectified'];
  /** A notice document (PDF, DOCX, web page, text): the facts and tables found in it. */
  notice?: NoticeSummary;
}

/** The file was refused: nothing was written. `result.rejected` says why. */
export class ImportRejectedError extends Error {
  constructor(readonly result: ImportResult) {
    super(`导入被拒绝：${result.rejected.length} 处错误，未写入任何数据`);
    this.name = 'ImportRejectedError';
  }
}

export class DuplicateNoticeError extends Error {
  constructor(
    readonly docNo: string,
    readonly existingId: number,
    message: string,
  ) {
    super(message);
    this.name = 'DuplicateNoticeError';
  }
}

class DryRunRollback extends Error {
  constructor(readonly result: ImportResult) {
    super('dry run');
  }
}

export interface ImportSettings {
  repeatThreshold: number;
  /** Business time zone: "today" for the default issue date. */
  zone: string;
  /** Size and row limits of an imported file (default: DEFAULT_INPUT_LIMITS). */
  limits?: InputLimits;
  /** The parse worker's heap and time limits; false: parse in this thread (no limits). */
  isolation?: IsolationLimits | false;
}


export class ImportService {
  /** Told after an import is committed (the running service notifies the new work orders at once). */
  readonly onImported: ((result: ImportResult) => void)[] = [];

  constructor(
    private readonly store: ImportStore,
    private readonly clock: Clock,
    private readonly settings: ImportSettings,
    private readonly logger?: Logger,
  ) {}

  async importFile(file: string, options: ImportOptions = {}): Promise<ImportResult> {
    const now = this.clock.now();
    // A published notice (PDF, DOCX, web page, text) says its own facts; flags override them.
    const doc = await this.readDocument(file);
    const facts = doc?.reading.facts;
    const issuedOn = options.issuedOn ? parseIsoDate(options.issuedOn) : facts?.issuedOn ?? businessDate(now, this.settings.zone);
    const reportDueOn = options.reportDueOn ? parseIsoDate(options.reportDueOn) : facts?.reportDueOn ?? null;
    const year = Number(issuedOn.slice(0, 4));
    const parseOptions = { sheet: options.sheet, map: options.map, kind: options.kind, defaultYear: year, xlsxStreaming: options.xlsxStreaming };
    const fromDoc = doc ? parseNoticeDocument(doc, { ...parseOptions, limits: this.settings.limits }) : null;
    const parsed = fromDoc ? fromDoc.parsed : await this.parse(file, parseOptions);
    // Without a 文号 the notice is known by what it says, so the same notice is refused twice
    // whichever file it comes in.
    const docNo = options.docNo?.trim() || facts?.docNo || `FILE-${(fromDoc?.contentSha256 ?? parsed.sha256).slice(0, 12)}`;
    if (fromDoc) {
      options = {
        ...options,
        title: options.title ?? facts?.title ?? undefined,
        issuer: options.issuer ?? facts?.issuer ?? undefined,
      };
    }
    const base = this.baseResult(parsed, docNo, options);
    if (fromDoc) {
      base.notice = {
        ...fromDoc.notice,
        doc_no: options.docNo?.trim() || fromDoc.notice.doc_no,
        title: options.title ?? null,
        issuer: options.issuer ?? null,
        issued_on: issuedOn,
        report_due_on: reportDueOn,
      };
    }
    if (parsed.rejected.length) throw new ImportRejectedError(base);

    try {
      const result = await this.store.transaction(async (tx) => {
        const result = await this.write(tx, parsed, { ...options, docNo, issuedOn, reportDueOn, year, now }, base);
        if (options.dryRun) throw new DryRunRollback(result);
        return result;
      });
      for (const l of this.onImported) l(result);
      return result;
    } catch (e) {
      if (e instanceof DryRunRollback) return e.result;
      throw e;
    }
  }

  /**
   * Reads a published notice (PDF, DOCX, DOC, web page, text) when the file is one, in the parse
   * worker like a table (a document that needs too much memory or time fails alone); null for a
   * table file. The tables it finds are then parsed by parseNoticeDocument.
   */
  async readDocument(file: string): Promise<NoticeDocument | null> {
    if (!(await noticeDocumentFormat(file))) return null;
    if (this.settings.isolation === false) return readNoticeDocument(file);
    return parseIsolated('noticeDocument', { file, fileName: path.basename(file), options: {} }, this.settings.isolation);
  }

  /**
   * Parses a notice table within this service's limits: in a worker thread with a heap and a
   * time limit (a file that needs too much fails alone), unless isolation is off.
   */
  async parse(file: string, options: Omit<ParseOptions, 'limits'>): Promise<ParsedNotice> {
    const full = { ...options, limits: this.settings.limits };
    if (this.settings.isolation === false) return parseNoticeFile(file, full);
    return parseIsolated('noticeTable', { file, fileName: path.basename(file), options: full }, this.settings.isolation);
  }

  private baseResult(parsed: ParsedNotice, docNo: string, options: ImportOptions): ImportResult {
    return {
      notice_id: null,
      doc_no: docNo,
      dry_run: Boolean(options.dryRun),
      replaced_notice_id: null,
      rows: parsed.rows,
      work_orders: parsed.items.length,
      problems: parsed.items.reduce((n, i) => n + i.problems.length, 0),
      targets_new: 0,
      units_new: 0,
      repeat_targets: 0,
      escalations: 0,
      rejected: parsed.rejected,
      codes: null,
      kind: noticeKind(parsed.kinds),
      format: parsed.format,
      encoding: parsed.encoding,
      sheets_skipped: parsed.sheets.filter((s) => s.skipped).map((s) => ({ sheet: s.name, reason: s.skipped! })),
      rectified: parsed.rectified,
    };
  }

  private async write(
    tx: ImportTx,
    parsed: ParsedNotice,
    o: Omit<ImportOptions, 'reportDueOn'> & { docNo: string; issuedOn: string; reportDueOn: string | null; year: number; now: Date },
    base: ImportResult,
  ): Promise<ImportResult> {
    const actor = o.actor ?? 'cli';
    const at = o.now;
    await tx.lock();
    const existing = await tx.findActiveNotice(o.docNo);
    if (existing && !o.replace) {
      throw new DuplicateNoticeError(
        o.docNo,
        existing.id,
        `文号为“${o.docNo}”的通报已导入（通报 #${existing.id}，${existing.workOrders} 张工单，` +
          `导入文件 ${existing.fileName ?? '未知'}）；如需用新文件替换，请加 --replace（原工单将作废，历史保留）`,
      );
    }

    const noticeId = await tx.insertNotice({
      docNo: o.docNo,
      title: o.title?.trim() || path.parse(parsed.fileName).name,
      issuer: o.issuer ?? null,
      period: base.notice?.period ? `${base.notice.period.from}~${base.notice.period.to}` : null,
      issuedOn: o.issuedOn,
      reportDueOn: o.reportDueOn,
      source: o.source ?? null,
      kind: base.kind,
      fileName: parsed.fileName,
      fileSha256: parsed.sha256,
      extra: {
        format: parsed.format,
        encoding: parsed.encoding,
        sheets: parsed.sheets.map((s) => ({ name: s.name, header_line: s.headerLine, headers: s.headers, kind: s.kind, rows: s.rows, skipped: s.skipped })),
      },
      createdAt: at,
    });
    const events: NewEvent[] = [];
    const step: WriteStep = { tx, actor, at, noticeId, events };
    const replacedId = existing ? await this.replaceNotice(step, existing.id) : null;
    const { units, targets, byTarget } = await this.storeTargets(step, parsed);
    const { orders, problems } = await this.storeOrders(step, o.year, units.ids, byTarget);
    const { created, namedBefore } = await this.escalateRepeats(step, o.year, orders);

    const result: ImportResult = {
      ...base,
      notice_id: o.dryRun ? null : noticeId,
      replaced_notice_id: replacedId,
      work_orders: orders.length,
      problems: problems.length,
      targets_new: targets.created.size,
      units_new: units.created.size,
      repeat_targets: namedBefore,
      escalations: created,
      codes: orders.length ? { first: orders[0].code, last: orders[orders.length - 1].code } : null,
    };
    events.unshift({
      type: 'notice.imported',
      actor,
      at,
      noticeId,
      data: {
        doc_no: o.docNo,
        file: parsed.fileName,
        sha256: parsed.sha256,
        rows: result.rows,
        work_orders: result.work_orders,
        problems: result.problems,
        targets_new: result.targets_new,
        units_new: result.units_new,
        repeat_targets: result.repeat_targets,
        escalations: result.escalations,
        replaced_notice_id: replacedId,
      },
    });
    await tx.appendEvents(events);
    this.logger?.info({ noticeId, docNo: o.docNo, workOrders: orders.length, dryRun: Boolean(o.dryRun) }, '通报已导入 (notice imported)');
    return result;
  }

  /** A replaced notice: its open orders are superseded (history kept) and it points at its replacement. */
  private async replaceNotice({ tx, actor, at, noticeId, events }: WriteStep, existingId: number): Promise<number> {
    const open = await tx.openWorkOrderIds(existingId);
    await tx.supersede(open, at, actor, { reason: 'notice_replaced', replaced_by_notice_id: noticeId });
    await tx.markReplaced(existingId, noticeId);
    events.push({ type: 'notice.replaced', actor, at, noticeId: existingId, data: { replaced_by_notice_id: noticeId, superseded: open.length } });
    return existingId;
  }

  /** Units, then targets; items that resolve to one stored target are merged. */
  private async storeTargets({ tx, at }: WriteStep, parsed: ParsedNotice) {
    // Units, then targets.
    const unitInputs = new Map(parsed.items.map((i) => [i.unit.normalizedName, i.unit]));
    const units = await tx.upsertUnits([...unitInputs.values()], at);
    const targetInputs = parsed.items.map((i) => ({
      identity: i.identity,
      kind: i.kind,
      name: i.name,
      normalizedName: i.normalizedName,
      platform: i.platform,
      family: i.family,
      address: i.address,
      host: i.kind === 'website' && i.address ? normalizeAddress(i.address) : null,
      unitId: units.ids.get(i.unit.normalizedName)!,
    }));
    const targets = await tx.upsertTargets(targetInputs, at);

    // Two items may resolve to one stored target (a website matched by address): merge them.
    const byTarget = new Map<number, (typeof parsed.items)[number]>();
    for (const item of parsed.items) {
      const targetId = targets.ids.get(item.identity)!;
      const prev = byTarget.get(targetId);
      if (prev) {
        for (const p of item.problems) if (!prev.problems.some((q) => q.text === p.text)) prev.problems.push(p);
        prev.sources.push(...item.sources);
        Object.assign(prev.extra, { ...item.extra, ...prev.extra });
      } else byTarget.set(targetId, { ...item, problems: [...item.problems], sources: [...item.sources], extra: { ...item.extra } });
    }
    return { units, targets, byTarget };
  }

  private async storeOrders({ tx, actor, at, noticeId, events }: WriteStep, year: number, unitIds: Map<string, number>, byTarget: Map<number, ParsedNotice['items'][number]>) {
    // Work orders with codes "<year>-<sequence>", race-free under the import lock.
    const prefix = `${year}-`;
    let seq = await tx.maxCodeSequence(prefix);
    const orders = [...byTarget.entries()].map(([targetId, item]) => ({
      code: `${prefix}${String(++seq).padStart(4, '0')}`,
      targetId,
      unitId: unitIds.get(item.unit.normalizedName)!,
      dueOnOverride: item.dueOn,
      extra: item.extra,
      item,
    }));
    const woIds = await tx.insertWorkOrders(noticeId, orders, at);
    const problems = orders.flatMap((wo) =>
      wo.item.problems.map((p, position) => ({ workOrderId: woIds.get(wo.targetId)!, position, category: p.category, text: p.text })),
    );
    await tx.insertProblems(problems);
    for (const wo of orders) {
      events.push({
        type: 'work_order.created',
        actor,
        at,
        workOrderId: woIds.get(wo.targetId)!,
        noticeId,
        unitId: wo.unitId,
        data: {
          code: wo.code,
          target_id: wo.targetId,
          state: 'new',
          problems: wo.item.problems.map((p) => p.category),
          source_rows: wo.item.sources,
        },
      });
    }
    return { orders, problems };
  }

  private async escalateRepeats({ tx, actor, at, noticeId, events }: WriteStep, year: number, orders: { targetId: number; unitId: number; item: ParsedNotice['items'][number] }[]) {
    // Repeat offenders within the calendar year of the issue date.
    const repeats = await recordRepeatOffenders(tx, {
      orders: orders.map((wo) => ({ targetId: wo.targetId, unitId: wo.unitId, kind: wo.item.kind })),
      noticeId,
      year,
      threshold: this.settings.repeatThreshold,
      actor,
      at,
    });
    events.push(...repeats.events);
    return { created: repeats.created, namedBefore: repeats.repeatTargets };
  }

}

/** What each step of writing a notice shares: its transaction, who and when, and the events it collects. */
interface WriteStep {
  tx: ImportTx;
  actor: string;
  at: Date;
  noticeId: number;
  events: NewEvent[];
}

export interface RepeatInput {
  orders: { targetId: number; unitId: number; kind: TargetKind }[];
  noticeId: number;
  year: number;
  threshold: number;
  actor: string;
  at: Date;
}

/**
 * Repeat offenders after new orders were written (in the same transaction): each target and
 * unit at or above the threshold of notices in the year gets its escalation (created once,
 * its count kept up to date). Returns the events to append and what was found.
 */
export async function recordRepeatOffenders(
  tx: ImportTx,
  r: RepeatInput,
): Promise<{ events: NewEvent[]; repeatTargets: number; created: number }> {
  const { year, threshold, noticeId, actor, at } = r;
  const from = `${year}-01-01`;
  const to = `${year}-12-31`;
  const targetCounts = await tx.noticeCountsByTarget(r.orders.map((wo) => wo.targetId), from, to);
  const unitCounts = await tx.noticeCountsByUnit([...new Set(r.orders.map((wo) => wo.unitId))], from, to);
  const { escalations, namedBefore } = repeatOffenders({ orders: r.orders, targetCounts, unitCounts, threshold, year, noticeId });
  const stored = await tx.upsertEscalations(escalations, at);
  const events: NewEvent[] = [];
  let created = 0;
  for (const e of escalations) {
    const s = stored.get(e.dedupeKey)!;
    if (s.created) created++;
    events.push({
      type: s.created ? 'escalation.created' : 'escalation.updated',
      actor,
      at,
      noticeId,
      unitId: e.unitId,
      data: { escalation_id: s.id, kind: e.kind, target_id: e.targetId, year: e.year, count: e.count, proposed_action: e.proposedAction },
    });
  }
  return { events, repeatTargets: namedBefore, created };
}

function noticeKind(kinds: TargetKind[]): string | null {
  if (kinds.length === 0) return null;
  if (kinds.length === 1) return kinds[0];
  return 'mixed';
}
